using Gateway.Policy.Model;

namespace Gateway.BodyScope;

/// <summary>One (entity, project) a request touches. A null entity means the principal's default entity.</summary>
internal readonly record struct ScopeReference(string? Entity, string? Project, AccessAction Action);

/// <summary>Building reference lists from bodies that repeat one project thousands of times.</summary>
internal static class ScopeReferences
{
    private const int Window = 8;

    /// <summary>
    /// Adds (entity, project, action) unless one of the last few references is already it: a Weave
    /// batch names the same project (and the same op ref) in every call, and each repeat would
    /// otherwise allocate two strings and a list slot that the decision skips anyway.
    /// </summary>
    public static void AddDistinct(List<ScopeReference> into, ReadOnlySpan<char> entity, ReadOnlySpan<char> project, AccessAction action)
    {
        var references = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(into);
        for (var i = references.Length - 1; i >= 0 && i >= references.Length - Window; i--)
        {
            var r = references[i];
            if (r.Action == action && entity.SequenceEqual(r.Entity) && project.SequenceEqual(r.Project))
            {
                return;
            }
        }

        into.Add(new ScopeReference(entity.ToString(), project.ToString(), action));
    }
}

/// <summary>A body that cannot be authorized: the status and code to answer with. Nothing was forwarded.</summary>
internal sealed class BodyScopeException(int status, string code, string detail) : Exception(detail)
{
    public int Status { get; } = status;

    public string Code { get; } = code;
}

/// <summary>Stable codes for body refusals.</summary>
internal static class BodyScopeCodes
{
    public const string BodyTooLarge = "body_too_large";
    public const string DecompressedBodyTooLarge = "decompressed_body_too_large";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string UnsupportedEncoding = "unsupported_content_encoding";
    public const string InvalidJson = "invalid_json";
    public const string DuplicateProperty = "duplicate_property";
    public const string InvalidGraphQl = "invalid_graphql";
    public const string TooManyOperations = "too_many_operations";
    public const string TooManyFields = "too_many_fields";
    public const string TooDeep = "too_deep";
    public const string InvalidScope = "invalid_scope";
    public const string ScopeConflict = "scope_conflict";
    public const string ScopeNotFound = "scope_not_found";
    public const string InvalidMultipart = "invalid_multipart";

    /// <summary>The body's framing broke while it was read (length mismatch, malformed chunk, reset stream).</summary>
    public const string IncompleteBody = "incomplete_body";

    /// <summary>A JSON body declared in a charset other than UTF-8 (another parser would decode it differently).</summary>
    public const string UnsupportedCharset = "unsupported_charset";

    /// <summary>A property, envelope key, form field or parameter another parser could read as a scope field.</summary>
    public const string AmbiguousProperty = "ambiguous_property";

    /// <summary>A multipart body two common parsers would split or name differently.</summary>
    public const string AmbiguousMultipart = "ambiguous_multipart";

    /// <summary>A GraphQL envelope key the gateway does not know (it cannot tell what the server does with it).</summary>
    public const string UnknownEnvelopeKey = "graphql_unknown_envelope_key";

    /// <summary>GraphQL parameters in the URL of a POST (servers differ on which source wins).</summary>
    public const string GraphQlInUrl = "graphql_in_url";

    /// <summary>GET on a GraphQL route that does not enable it.</summary>
    public const string GraphQlGetNotAllowed = "graphql_get_not_allowed";
}
