using Gateway.Policy.Directory;

namespace Gateway.BodyScope;

/// <summary>Weave's <c>project_id</c>: <c>entity/project</c>, split at its one <c>/</c>, both parts exact names.</summary>
internal static class ProjectId
{
    public static (string Entity, string Project) Parse(string? value, string source) => Parse(value.AsSpan(), source);

    public static (string Entity, string Project) Parse(ReadOnlySpan<char> value, string source)
    {
        var slash = value.IndexOf('/');
        if (slash <= 0 || value[(slash + 1)..].Contains('/')
            || !Names.IsValidEntity(value[..slash]) || !Names.IsValidProject(value[(slash + 1)..]))
        {
            throw new BodyScopeException(400, BodyScopeCodes.InvalidScope, $"'{source}' must be entity/project with valid names.");
        }

        return (value[..slash].ToString(), value[(slash + 1)..].ToString());
    }
}
