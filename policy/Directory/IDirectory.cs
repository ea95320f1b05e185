using System.Diagnostics.CodeAnalysis;
using Gateway.Policy.Model;

namespace Gateway.Policy.Directory;

/// <summary>
/// Read-only lookups the access decision needs. Implementations must answer from memory without
/// blocking (the decision runs on the request hot path) and compare names ordinally: <c>ACME</c> is
/// never <c>acme</c>.
/// </summary>
public interface IDirectory
{
    /// <summary>Resolves an entity name (a team or a user's personal entity).</summary>
    bool TryGetEntity(string name, out EntityRef entity);

    /// <summary>Finds a project the directory knows.</summary>
    bool TryGetProject(ProjectKey key, [MaybeNullWhen(false)] out Project project);

    /// <summary>Finds a principal's explicit role on a project.</summary>
    bool TryGetGrant(string principalId, ProjectKey project, out ProjectRole role);

    /// <summary>Finds a user by username.</summary>
    bool TryGetUser(string username, [MaybeNullWhen(false)] out User user);

    /// <summary>Finds a user by email address.</summary>
    bool TryGetUserByEmail(string email, [MaybeNullWhen(false)] out User user);
}
