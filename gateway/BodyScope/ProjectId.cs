using Gateway.Policy.Directory;

namespace Gateway.BodyScope;

/// <summary>Weave's <c>project_id</c>: <c>entity/project</c>, split at its one <c>/</c>, both parts exact names.</summary>
internal static class ProjectId
{
    public static (string Entity, string Project) Parse(string? value, string source) => Parse(value.AsSpan(), source);

    public static (string Entity, string Project) Parse(ReadOnlySpan<char> value, string source)
    {
        Split(value, source, out var entity, out var project);
        return (entity.ToString(), project.ToString());
    }

    /// <summary>The validated halves of <c>entity/project</c>, without allocating (see <see cref="ScopeReferences.AddDistinct"/>).</summary>
    public static void Split(ReadOnlySpan<char> value, string source, out ReadOnlySpan<char> entity, out ReadOnlySpan<char> project)
    {
        var slash = value.IndexOf('/');
        if (slash <= 0 || value[(slash + 1)..].Contains('/') || !Names.IsValidEntity(value[..slash]) || !Names.IsValidProject(value[(slash + 1)..]))
        {
            throw Invalid(source);
        }

        entity = value[..slash];
        project = value[(slash + 1)..];
    }

    /// <summary>An entity and a project named apart (resource attributes, the first two parts of a run id), held to the same rule.</summary>
    public static (string Entity, string Project) Of(ReadOnlySpan<char> entity, ReadOnlySpan<char> project, string source)
        => Names.IsValidEntity(entity) && Names.IsValidProject(project) ? (entity.ToString(), project.ToString()) : throw Invalid(source);

    private static BodyScopeException Invalid(string source) => new(400, BodyScopeCodes.InvalidScope, $"'{source}' must be entity/project with valid names.");
}
