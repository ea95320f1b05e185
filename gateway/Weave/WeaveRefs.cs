using Gateway.BodyScope;
using Gateway.Policy.Directory;
using Gateway.Policy.Model;

namespace Gateway.Weave;

/// <summary>
/// Weave refs (shared/reference/weave-refs-and-otlp.md §1.2): <c>weave:///{entity}/{project}/{kind}/...</c>,
/// entity and project raw (never percent-decoded), each a valid directory name. Internal refs
/// (<c>weave-trace-internal:///</c>, an opaque project id the gateway cannot map) and private refs are
/// refused wherever they appear; <c>wandb-artifact:///{entity}/{project}/...</c> names a project too.
/// </summary>
internal static class WeaveRefs
{
    public const string External = "weave:///";
    public const string Artifact = "wandb-artifact:///";
    private static readonly string[] Opaque = ["weave-trace-internal:///", "weave-private://"];
    private static readonly string[] Kinds = ["object", "op", "table", "call", "agent_turn", "agent_conversation", "agent_span"];

    /// <summary>One ref as a whole value (read_batch): exactly the external grammar.</summary>
    public static ScopeReference ParseRef(string text)
    {
        if (!text.StartsWith(External, StringComparison.Ordinal))
        {
            throw Invalid(text.StartsWith("weave-trace-internal:", StringComparison.Ordinal)
                ? "Internal refs (weave-trace-internal:///) name projects the gateway cannot authorize."
                : "Refs must be weave:///entity/project/kind/... .");
        }

        var parts = text.AsSpan(External.Length);
        Span<Range> ranges = stackalloc Range[5];
        var count = parts.Split(ranges, '/');
        if (count < 4 || Array.IndexOf(Kinds, parts[ranges[2]].ToString()) < 0 || parts[ranges[3]].IsEmpty)
        {
            throw Invalid("A ref is weave:///entity/project/kind/name with a known kind.");
        }

        return Reference(parts[ranges[0]], parts[ranges[1]]);
    }

    /// <summary>
    /// Every ref inside a string value (refs also travel inside JSON serialized into strings): each
    /// external or artifact ref names a project to authorize (read); an opaque one refuses the request.
    /// </summary>
    public static void Scan(ReadOnlySpan<char> text, List<ScopeReference> into)
    {
        foreach (var opaque in Opaque)
        {
            if (text.Contains(opaque, StringComparison.OrdinalIgnoreCase))
            {
                throw Invalid("Internal and private refs name projects the gateway cannot authorize.");
            }
        }

        ScanScheme(text, External, into);
        ScanScheme(text, Artifact, into);
    }

    private static void ScanScheme(ReadOnlySpan<char> text, string scheme, List<ScopeReference> into)
    {
        var rest = text;
        int at;
        while ((at = rest.IndexOf(scheme, StringComparison.OrdinalIgnoreCase)) >= 0)
        {
            if (!rest.Slice(at, scheme.Length).SequenceEqual(scheme))
            {
                throw Invalid("Ref schemes are lowercase.");
            }

            rest = rest[(at + scheme.Length)..];
            var entityEnd = rest.IndexOf('/');
            var projectEnd = entityEnd < 0 ? -1 : rest[(entityEnd + 1)..].IndexOf('/');
            if (entityEnd <= 0 || projectEnd <= 0)
            {
                throw Invalid("A ref names entity/project.");
            }

            into.Add(Reference(rest[..entityEnd], rest.Slice(entityEnd + 1, projectEnd)));
            rest = rest[(entityEnd + 1 + projectEnd)..];
        }
    }

    private static ScopeReference Reference(ReadOnlySpan<char> entity, ReadOnlySpan<char> project)
    {
        if (!Names.IsValidEntity(entity) || !Names.IsValidProject(project))
        {
            throw Invalid("A ref's entity and project must be valid names (never percent-encoded).");
        }

        return new ScopeReference(entity.ToString(), project.ToString(), AccessAction.Read);
    }

    private static BodyScopeException Invalid(string detail) => new(400, WeaveCodes.InvalidRef, detail);
}

/// <summary>Stable codes for Weave and OTLP refusals.</summary>
internal static class WeaveCodes
{
    public const string InvalidRef = "invalid_ref";
    public const string TooManyRefs = "too_many_refs";
    public const string InvalidProtobuf = "invalid_protobuf";
}
