using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using Gateway.Policy.Directory;
using Gateway.Policy.Model;

namespace Policy.Tests;

/// <summary>A hand-written in-memory directory for the decision tests.</summary>
internal sealed class TestDirectory : IDirectory
{
    private readonly Dictionary<string, EntityRef> _entities = new(StringComparer.Ordinal);
    private readonly Dictionary<ProjectKey, Project> _projects = new();
    private readonly Dictionary<(string, ProjectKey), ProjectRole> _grants = new();
    private readonly Dictionary<string, User> _users = new(StringComparer.Ordinal);
    private int _ids;

    public TestDirectory Team(string name, string org)
    {
        _entities[name] = new EntityRef(name, org, EntityKind.Team, null);
        return this;
    }

    public TestDirectory Project(string entity, string name, Visibility visibility)
    {
        _projects[new ProjectKey(entity, name)] = new Project { Entity = entity, Name = name, Visibility = visibility };
        return this;
    }

    public TestDirectory Grant(Principal principal, string entity, string project, ProjectRole role)
    {
        _grants[(principal.Id, new ProjectKey(entity, project))] = role;
        return this;
    }

    public User User(string username, string org, OrgRole orgRole = OrgRole.Member, string? defaultEntity = null, bool active = true, params (string Team, TeamRole Role)[] teams)
    {
        var user = new User
        {
            Id = "u" + (++_ids),
            Username = username,
            Email = username + "@example.com",
            Org = org,
            OrgRole = orgRole,
            DefaultEntity = defaultEntity,
            Active = active,
            Teams = teams.ToImmutableDictionary(t => t.Team, t => t.Role),
        };
        _users[username] = user;
        _entities[username] = new EntityRef(username, org, EntityKind.Personal, user.Id);
        return user;
    }

    public ServiceAccount TeamSa(string name, string team, string org, AccessMode access = AccessMode.Scope, bool active = true) => new()
    {
        Id = "sa" + (++_ids),
        Name = name,
        Org = org,
        Scope = ServiceAccountScope.Team,
        Team = team,
        Access = access,
        Active = active,
    };

    public ServiceAccount OrgSa(string name, string defaultTeam, string org, AccessMode access = AccessMode.Scope) => new()
    {
        Id = "sa" + (++_ids),
        Name = name,
        Org = org,
        Scope = ServiceAccountScope.Organization,
        Team = defaultTeam,
        Access = access,
    };

    public bool TryGetEntity(string name, out EntityRef entity) => _entities.TryGetValue(name, out entity);

    public bool TryGetProject(ProjectKey key, [MaybeNullWhen(false)] out Project project) => _projects.TryGetValue(key, out project);

    public bool TryGetGrant(string principalId, ProjectKey project, out ProjectRole role) => _grants.TryGetValue((principalId, project), out role);

    public bool TryGetUser(string username, [MaybeNullWhen(false)] out User user) => _users.TryGetValue(username, out user);

    public bool TryGetUserByEmail(string email, [MaybeNullWhen(false)] out User user)
    {
        user = _users.Values.FirstOrDefault(u => u.Email == email);
        return user is not null;
    }
}
