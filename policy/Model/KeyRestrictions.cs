using System.Collections.Immutable;
using System.Net;

namespace Gateway.Policy.Model;

/// <summary>
/// What one key may do beyond its owner's rights: never more. Each restriction narrows the owner's
/// decision; a key without any (<see cref="IsEmpty"/>) has exactly its owner's rights.
/// </summary>
public sealed record KeyRestrictions
{
    /// <summary>Read-only or the owner's full access.</summary>
    public KeyAccess Access { get; init; } = KeyAccess.Write;

    /// <summary>The projects the key may touch (<c>entity/project</c> or <c>entity/*</c>); empty: every project its owner may.</summary>
    public ImmutableArray<ProjectPattern> Projects { get; init; } = [];

    /// <summary>The networks requests with the key may come from; empty: any.</summary>
    public ImmutableArray<IPNetwork> AllowedNetworks { get; init; } = [];

    /// <summary>True when nothing is restricted.</summary>
    public bool IsEmpty => Access == KeyAccess.Write && Projects.IsDefaultOrEmpty && AllowedNetworks.IsDefaultOrEmpty;

    /// <summary>True for a key that may not change anything (admin writes, token mints) on its owner's behalf.</summary>
    public bool LimitsData => Access == KeyAccess.Read || !Projects.IsDefaultOrEmpty;
}

/// <summary>What a key may do with the projects it reaches.</summary>
public enum KeyAccess
{
    /// <summary>Only reads: GET and HEAD, GraphQL queries, routes whose action is read.</summary>
    Read,
    /// <summary>The owner's access (the default).</summary>
    Write,
}

/// <summary>
/// One project a key may touch: <c>entity/project</c>, or every project of an entity (<c>entity/*</c>,
/// <see cref="Project"/> null). Compared ordinally: a name in another case is another name, and the
/// decision refuses names that differ from a known one only by case before this is asked.
/// </summary>
public readonly record struct ProjectPattern(string Entity, string? Project)
{
    /// <summary>True when the pattern covers <paramref name="entity"/>/<paramref name="project"/>; an entity-level request (no project) only under <c>entity/*</c>.</summary>
    public bool Covers(string entity, string? project)
        => string.Equals(entity, Entity, StringComparison.Ordinal)
           && (Project is null || (project is not null && string.Equals(project, Project, StringComparison.Ordinal)));

    /// <summary>Reads <c>entity/project</c> or <c>entity/*</c>; the names are checked by the caller.</summary>
    public static bool TryParse(string? text, out ProjectPattern pattern)
    {
        pattern = default;
        var slash = text?.IndexOf('/') ?? -1;
        if (text is null || slash <= 0 || slash == text.Length - 1 || text.IndexOf('/', slash + 1) >= 0)
        {
            return false;
        }

        var project = text[(slash + 1)..];
        pattern = new ProjectPattern(text[..slash], project == "*" ? null : project);
        return true;
    }

    /// <inheritdoc />
    public override string ToString() => Entity + "/" + (Project ?? "*");
}
