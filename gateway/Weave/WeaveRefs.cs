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
    /// One ordinal pass over the <c>://</c> occurrences, each judged by the scheme text right before it
    /// (compared ignoring case, so a scheme in another case is refused rather than overlooked).
    /// </summary>
    public static void Scan(ReadOnlySpan<char> text, List<ScopeReference> into)
    {
        var offset = 0;
        int at;
        while ((at = text[offset..].IndexOf("://", StringComparison.Ordinal)) >= 0)
        {
            var before = text[..(offset + at)];
            var after = text[(offset + at + 3)..];
            offset += at + 3;
            if ((Ends(before, "weave-trace-internal") && after.StartsWith('/')) || Ends(before, "weave-private"))
            {
                throw Invalid("Internal and private refs name projects the gateway cannot authorize.");
            }

            var scheme = Ends(before, "weave") ? "weave" : Ends(before, "wandb-artifact") ? "wandb-artifact" : null;
            if (scheme is null || !after.StartsWith('/'))
            {
                continue;
            }

            if (!before[^scheme.Length..].SequenceEqual(scheme))
            {
                throw Invalid("Ref schemes are lowercase.");
            }

            var rest = after[1..];
            var entityEnd = rest.IndexOf('/');
            var projectEnd = entityEnd < 0 ? -1 : rest[(entityEnd + 1)..].IndexOf('/');
            if (entityEnd <= 0 || projectEnd <= 0)
            {
                throw Invalid("A ref names entity/project.");
            }

            var entity = rest[..entityEnd];
            var project = rest.Slice(entityEnd + 1, projectEnd);
            CheckNames(entity, project);
            ScopeReferences.AddDistinct(into, entity, project, AccessAction.Read);
            offset = text.Length - rest.Length + entityEnd + 1 + projectEnd;
        }
    }

    private static bool Ends(ReadOnlySpan<char> text, string scheme) => text.EndsWith(scheme, StringComparison.OrdinalIgnoreCase);

    private static ScopeReference Reference(ReadOnlySpan<char> entity, ReadOnlySpan<char> project)
    {
        CheckNames(entity, project);
        return new ScopeReference(entity.ToString(), project.ToString(), AccessAction.Read);
    }

    private static void CheckNames(ReadOnlySpan<char> entity, ReadOnlySpan<char> project)
    {
        if (!Names.IsValidEntity(entity) || !Names.IsValidProject(project))
        {
            throw Invalid("A ref's entity and project must be valid names (never percent-encoded).");
        }
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
