using System.Collections.Immutable;
using System.Diagnostics.CodeAnalysis;
using Gateway.Policy.Directory;
using Gateway.Policy.Model;
using Gateway.Store;

namespace Gateway.Directory;

/// <summary>
/// One consistent, immutable view of the directory. A request reads one snapshot from start to end;
/// a committed write publishes a new one. All lookups are ordinal: <c>ACME</c> is not <c>acme</c>.
/// </summary>
internal sealed record DirectorySnapshot : IDirectory
{
    public static readonly DirectorySnapshot Empty = new();

    public ImmutableDictionary<string, Organization> Organizations { get; private init; } = ImmutableDictionary.Create<string, Organization>(StringComparer.Ordinal);
    public ImmutableDictionary<string, Team> Teams { get; private init; } = ImmutableDictionary.Create<string, Team>(StringComparer.Ordinal);

    /// <summary>Deleted teams (tombstones): not entities any more, their names reserved to their organization.</summary>
    public ImmutableDictionary<string, Team> RetiredTeams { get; private init; } = ImmutableDictionary.Create<string, Team>(StringComparer.Ordinal);
    public ImmutableDictionary<string, User> UsersById { get; private init; } = ImmutableDictionary.Create<string, User>(StringComparer.Ordinal);
    public ImmutableDictionary<string, User> UsersByName { get; private init; } = ImmutableDictionary.Create<string, User>(StringComparer.Ordinal);
    public ImmutableDictionary<string, User> UsersByEmail { get; private init; } = ImmutableDictionary.Create<string, User>(StringComparer.Ordinal);
    public ImmutableDictionary<string, ServiceAccount> AccountsById { get; private init; } = ImmutableDictionary.Create<string, ServiceAccount>(StringComparer.Ordinal);
    public ImmutableDictionary<string, ServiceAccount> AccountsByName { get; private init; } = ImmutableDictionary.Create<string, ServiceAccount>(StringComparer.Ordinal);
    public ImmutableDictionary<ProjectKey, Project> Projects { get; private init; } = ImmutableDictionary<ProjectKey, Project>.Empty;

    /// <summary>
    /// Projects by their case-folded key (names are unique under folding): a request naming
    /// <c>ml/P-SECRET</c> must find <c>ml/p-secret</c> here rather than be judged an unknown project.
    /// </summary>
    public ImmutableDictionary<ProjectKey, Project> ProjectsFolded { get; private init; } = ImmutableDictionary.Create<ProjectKey, Project>(FoldedProjectKeyComparer.Instance);
    public ImmutableDictionary<(string PrincipalId, ProjectKey Project), ProjectGrant> Grants { get; private init; } = ImmutableDictionary<(string, ProjectKey), ProjectGrant>.Empty;
    public ImmutableDictionary<string, TrustedIssuer> Issuers { get; private init; } = ImmutableDictionary.Create<string, TrustedIssuer>(StringComparer.Ordinal);

    /// <summary>Federated service accounts by their exact (issuer, subject).</summary>
    public ImmutableDictionary<(string Issuer, string Subject), ServiceAccount> AccountsBySubject { get; private init; } = ImmutableDictionary<(string, string), ServiceAccount>.Empty;

    /// <summary>Federated service accounts' claim rules by issuer.</summary>
    public Federation.FederationRuleIndex FederationRules { get; private init; } = Federation.FederationRuleIndex.Empty;

    /// <summary>The store's directory version this snapshot reflects.</summary>
    public long Version { get; private init; }

    public DirectorySnapshot AtVersion(long version) => this with { Version = version };

    /// <summary>True once any imported legacy key exists: only then can an unchecked 40-character key be real.</summary>
    public bool HasImportedKeys { get; private init; }

    /// <summary>The stored directory plus the issuers configured in gateway.json (never written to the store).</summary>
    public static DirectorySnapshot From(DirectoryData data, IEnumerable<TrustedIssuer>? configuredIssuers = null)
    {
        var changes = new ChangeSet();
        foreach (var record in data.Organizations.Cast<object>().Concat(data.Teams).Concat(data.Users)
            .Concat(data.ServiceAccounts).Concat(data.Projects).Concat(data.Grants).Concat(data.Issuers)
            .Concat(configuredIssuers ?? []))
        {
            changes.Put(record);
        }

        return Empty.Apply(changes) with { HasImportedKeys = data.HasImportedKeys };
    }

    /// <summary>The snapshot after <paramref name="changes"/>; this one is unchanged.</summary>
    public DirectorySnapshot Apply(ChangeSet changes)
    {
        var orgs = Organizations.ToBuilder();
        var teams = Teams.ToBuilder();
        var retired = RetiredTeams.ToBuilder();
        var usersById = UsersById.ToBuilder();
        var usersByName = UsersByName.ToBuilder();
        var usersByEmail = UsersByEmail.ToBuilder();
        var accountsById = AccountsById.ToBuilder();
        var accountsByName = AccountsByName.ToBuilder();
        var projects = Projects.ToBuilder();
        var projectsFolded = ProjectsFolded.ToBuilder();
        var grants = Grants.ToBuilder();
        var issuers = Issuers.ToBuilder();
        var bySubject = AccountsBySubject.ToBuilder();
        var rules = FederationRules;
        var hasImported = HasImportedKeys;

        foreach (var (record, delete) in changes.Changes)
        {
            switch (record)
            {
                case Organization o when delete: orgs.Remove(o.Name); break;
                case Organization o: orgs[o.Name] = o; break;
                case Team t when delete: teams.Remove(t.Name); retired.Remove(t.Name); break;
                case Team { DeletedAt: not null } t: teams.Remove(t.Name); retired[t.Name] = t; break;
                case Team t: retired.Remove(t.Name); teams[t.Name] = t; break;
                case User u:
                    if (usersById.TryGetValue(u.Id, out var oldUser))
                    {
                        usersByName.Remove(oldUser.Username);
                        usersByEmail.Remove(oldUser.Email);
                        usersById.Remove(u.Id);
                    }

                    if (!delete)
                    {
                        usersById[u.Id] = u;
                        usersByName[u.Username] = u;
                        usersByEmail[u.Email] = u;
                    }

                    break;
                case ServiceAccount s:
                    rules = rules.Replace(accountsById.GetValueOrDefault(s.Id), delete ? null : s);
                    if (accountsById.TryGetValue(s.Id, out var oldAccount))
                    {
                        accountsByName.Remove(oldAccount.DisplayName);
                        accountsById.Remove(s.Id);
                        if (oldAccount is { Issuer: { } oldIssuer, Subject: { } oldSubject })
                        {
                            bySubject.Remove((oldIssuer, oldSubject));
                        }
                    }

                    if (!delete)
                    {
                        accountsById[s.Id] = s;
                        accountsByName[s.DisplayName] = s;
                        if (s is { Authentication: AuthenticationKind.Federated, Issuer: { } issuer, Subject: { } subject })
                        {
                            bySubject[(issuer, subject)] = s;
                        }
                    }

                    break;
                case Project p when delete: projects.Remove(p.Key); projectsFolded.Remove(p.Key); break;
                case Project p: projects[p.Key] = p; projectsFolded[p.Key] = p; break;
                case ProjectGrant g when delete: grants.Remove((g.PrincipalId, g.Project)); break;
                case ProjectGrant g: grants[(g.PrincipalId, g.Project)] = g; break;
                case TrustedIssuer i when delete: issuers.Remove(i.Url); break;
                case TrustedIssuer i: issuers[i.Url] = i; break;
                case ApiKey { Format: ApiKeyFormatKind.ImportedLegacy }: hasImported = true; break;
                case ApiKey: break;
            }
        }

        return this with
        {
            Organizations = orgs.ToImmutable(), Teams = teams.ToImmutable(), RetiredTeams = retired.ToImmutable(), UsersById = usersById.ToImmutable(),
            UsersByName = usersByName.ToImmutable(), UsersByEmail = usersByEmail.ToImmutable(),
            AccountsById = accountsById.ToImmutable(), AccountsByName = accountsByName.ToImmutable(),
            Projects = projects.ToImmutable(), ProjectsFolded = projectsFolded.ToImmutable(), Grants = grants.ToImmutable(), HasImportedKeys = hasImported,
            Issuers = issuers.ToImmutable(), AccountsBySubject = bySubject.ToImmutable(), FederationRules = rules,
        };
    }

    public bool TryGetPrincipal(string id, [MaybeNullWhen(false)] out Principal principal)
    {
        if (UsersById.TryGetValue(id, out var user))
        {
            principal = user;
            return true;
        }

        if (AccountsById.TryGetValue(id, out var account))
        {
            principal = account;
            return true;
        }

        principal = null;
        return false;
    }

    /// <summary>Resolves <c>alice</c> to a user and <c>ci@ml-team</c> / <c>ci@acme</c> to a service account.</summary>
    public bool TryGetPrincipalByName(string name, [MaybeNullWhen(false)] out Principal principal)
    {
        principal = null;
        if (name.Contains('@'))
        {
            if (AccountsByName.TryGetValue(name, out var account))
            {
                principal = account;
            }
        }
        else if (UsersByName.TryGetValue(name, out var user))
        {
            principal = user;
        }

        return principal is not null;
    }

    /// <summary>True when <paramref name="name"/> is taken in the shared namespace of orgs, teams and users.</summary>
    public bool IsNameTaken(string name) => Organizations.ContainsKey(name) || Teams.ContainsKey(name) || UsersByName.ContainsKey(name) || RetiredTeams.ContainsKey(name);

    public bool TryGetEntity(string name, out EntityRef entity)
    {
        if (Teams.TryGetValue(name, out var team))
        {
            entity = new EntityRef(team.Name, team.Org, EntityKind.Team, null);
            return true;
        }

        if (UsersByName.TryGetValue(name, out var user))
        {
            entity = new EntityRef(user.Username, user.Org, EntityKind.Personal, user.Id);
            return true;
        }

        entity = default;
        return false;
    }

    public bool TryGetProject(ProjectKey key, [MaybeNullWhen(false)] out Project project) => Projects.TryGetValue(key, out project);

    /// <summary>The known project <paramref name="key"/> folds to when it is not exactly that project's key.</summary>
    public bool TryGetNearProject(ProjectKey key, [MaybeNullWhen(false)] out Project project)
        => ProjectsFolded.TryGetValue(key, out project) && project.Key != key;

    public bool TryGetGrant(string principalId, ProjectKey project, out ProjectRole role)
    {
        if (Grants.TryGetValue((principalId, project), out var grant))
        {
            role = grant.Role;
            return true;
        }

        role = default;
        return false;
    }

    public bool TryGetUser(string username, [MaybeNullWhen(false)] out User user) => UsersByName.TryGetValue(username, out user);

    public bool TryGetUserByEmail(string email, [MaybeNullWhen(false)] out User user) => UsersByEmail.TryGetValue(email, out user);
}

/// <summary>Project keys equal ignoring ASCII case (the only folding the naming alphabet allows).</summary>
internal sealed class FoldedProjectKeyComparer : IEqualityComparer<ProjectKey>
{
    public static readonly FoldedProjectKeyComparer Instance = new();

    public bool Equals(ProjectKey x, ProjectKey y)
        => string.Equals(x.Entity, y.Entity, StringComparison.OrdinalIgnoreCase) && string.Equals(x.Name, y.Name, StringComparison.OrdinalIgnoreCase);

    public int GetHashCode(ProjectKey key)
        => HashCode.Combine(StringComparer.OrdinalIgnoreCase.GetHashCode(key.Entity), StringComparer.OrdinalIgnoreCase.GetHashCode(key.Name));
}
