using System.Text.Json;
using Gateway.Admin;
using Gateway.Diagnostics;
using Gateway.Federation;
using Gateway.Policy.Model;
using Gateway.Store;

namespace Gateway.DirectoryAsCode;

/// <summary>Teams, projects with their grants, issuers and keys: each step as the matching admin endpoint checks it.</summary>
internal sealed partial class DirectoryPlanner
{
    // POST /orgs/{org}/teams.
    private void CreateTeam(string name, ChangeSet changes)
    {
        AdminAccess.RequireOrgAdmin(_w, Caller, _org);
        DirectoryRules.RequireFreeTeamName(_w, name, _org);
        changes.Put(new Team { Name = name, Org = _org, CreatedAt = _now });
    }

    // DELETE /teams/{team} without cascade: by now the steps before removed what the document removes from it.
    private void DeleteTeam(string name, ChangeSet changes)
    {
        if (!_w.Teams.TryGetValue(name, out var found) || !AdminAccess.CanSeeTeam(Caller, found))
        {
            throw AdminProblemException.NotFound(ProblemCodes.TeamNotFound, $"Team '{name}'");
        }

        AdminAccess.RequireOrgAdmin(_w, Caller, found.Org);
        var defaulting = _w.AccountsById.Values.Where(a => a.Scope == ServiceAccountScope.Organization && a.Team == name).Select(a => a.DisplayName).Order(StringComparer.Ordinal).ToList();
        if (defaulting.Count > 0)
        {
            throw AdminProblemException.Conflict("team_is_default_team", $"Team '{name}' is the default team of {string.Join(", ", defaulting)}: give them another default team in the document.");
        }

        var projects = _w.Projects.Values.Count(p => p.Entity == name);
        var members = _w.UsersById.Values.Count(u => u.Teams.ContainsKey(name));
        var accounts = _w.AccountsById.Values.Count(a => a.Scope == ServiceAccountScope.Team && a.Team == name);
        if (projects + members + accounts > 0)
        {
            throw AdminProblemException.Conflict("team_not_empty", $"Team '{name}' would still hold {projects} projects, {members} members, {accounts} team service accounts (some the caller cannot see or may not remove).");
        }

        changes.Put(found with { DeletedAt = _now });
    }

    private static ProjectEntry NormalizeProject(ProjectEntry p) => p with { Grants = Sorted(p.Grants) };

    // POST /teams/{entity}/projects, then PUT .../grants/{principal} for each grant.
    private Action<ChangeSet> CreateProject(ProjectEntry wanted) => changes =>
    {
        RequireEntityOfOrg(wanted.Entity);
        TeamEndpoints.RequireProjectCreator(_w, Caller, wanted.Entity);
        if (_w.Projects.Keys.Any(k => k.Entity == wanted.Entity && string.Equals(k.Name, wanted.Name, StringComparison.OrdinalIgnoreCase)))
        {
            throw AdminProblemException.Conflict(ProblemCodes.NameTaken, $"Entity '{wanted.Entity}' already has a project named '{wanted.Name}' (names are unique regardless of case).");
        }

        var created = new Project { Entity = wanted.Entity, Name = wanted.Name, Visibility = Parse<Visibility>(wanted.Visibility), CreatedAt = _now };
        changes.Put(created);
        SetGrants(_w.Apply(changes), created, new SortedDictionary<string, string>(), wanted.Grants!, changes);
    };

    // PATCH /projects/{entity}/{project} and the grant endpoints.
    private Action<ChangeSet> UpdateProject(ProjectEntry wanted, ProjectEntry had) => changes =>
    {
        var found = AdminAccess.RequireManagedProject(_w, Caller, wanted.Entity, wanted.Name);
        var changed = found with { Visibility = Parse<Visibility>(wanted.Visibility) };
        if (changed != found)
        {
            changes.Put(changed);
        }

        SetGrants(_w, changed, had.Grants!, wanted.Grants!, changes);
    };

    private void SetGrants(Directory.DirectorySnapshot d, Project project, IReadOnlyDictionary<string, string> had, IReadOnlyDictionary<string, string> wanted, ChangeSet changes)
    {
        foreach (var name in had.Keys.Union(wanted.Keys).Order(StringComparer.Ordinal))
        {
            var role = wanted.GetValueOrDefault(name);
            if (role == had.GetValueOrDefault(name))
            {
                continue;
            }

            var grantee = ProjectEndpoints.RequirePrincipalInOrg(d, name, _org);
            if (role is null)
            {
                if (d.Grants.TryGetValue((grantee.Id, project.Key), out var grant))
                {
                    changes.Remove(grant);
                }
            }
            else
            {
                changes.Put(new ProjectGrant { PrincipalId = grantee.Id, Project = project.Key, Role = Parse<ProjectRole>(role) });
            }
        }
    }

    // DELETE /projects/{entity}/{project}.
    private void DeleteProject(ProjectEntry had, ChangeSet changes)
        => Cascade.RemoveProject(_w, AdminAccess.RequireManagedProject(_w, Caller, had.Entity, had.Name), changes);

    private void RequireEntityOfOrg(string entity)
    {
        if (!_w.TryGetEntity(entity, out var found) || found.Org != _org)
        {
            throw AdminProblemException.NotFound(ProblemCodes.TeamNotFound, $"Team '{entity}'");
        }
    }

    private IssuerEntry NormalizeIssuer(IssuerEntry wanted)
        => BuildIssuer(wanted, (_, _) => { }) is { } built ? DirectoryExporter.Issuer(built) : wanted;

    private TrustedIssuer? BuildIssuer(IssuerEntry wanted, Action<string, string> error)
        => IssuerRules.Build(new IssuerDraft(wanted.Issuer, _org, wanted.Audiences, wanted.Algorithms, wanted.Types, wanted.JwksUri,
            wanted.MaxTokenLifetimeSeconds is { } lifetime ? TimeSpan.FromSeconds(lifetime) : null,
            wanted.ClockSkewSeconds is { } skew ? TimeSpan.FromSeconds(skew) : null, wanted.AcceptRawJwt), _now, error);

    // POST /orgs/{org}/issuers.
    private Action<ChangeSet> CreateIssuer(IssuerEntry wanted) => changes =>
    {
        AdminAccess.RequireOrgAdmin(_w, Caller, _org);
        var errors = new FieldErrors();
        var built = BuildIssuer(wanted, errors.Add);
        errors.ThrowIfAny();
        if (_w.Issuers.ContainsKey(built!.Url))
        {
            throw AdminProblemException.Conflict(ProblemCodes.IssuerExists, "This issuer is already registered (an issuer belongs to one organization).");
        }

        changes.Put(built);
    };

    // The admin API has no update: this is its delete and create in one step, keeping the accounts that map to it.
    private Action<ChangeSet> UpdateIssuer(IssuerEntry wanted) => changes =>
    {
        AdminAccess.RequireOrgAdmin(_w, Caller, _org);
        var errors = new FieldErrors();
        var built = BuildIssuer(wanted, errors.Add);
        errors.ThrowIfAny();
        var existing = _w.Issuers[built!.Url];
        changes.Put(built with { CreatedAt = existing.CreatedAt });
    };

    // DELETE /orgs/{org}/issuers?issuer=.
    private void DeleteIssuer(string url, ChangeSet changes)
    {
        AdminAccess.RequireOrgAdmin(_w, Caller, _org);
        if (!_w.Issuers.TryGetValue(url, out var found) || found.Org != _org)
        {
            throw AdminProblemException.NotFound(ProblemCodes.IssuerNotFound, "Issuer");
        }

        if (found.FromConfiguration)
        {
            throw AdminProblemException.Conflict(ProblemCodes.IssuerFromConfiguration, "This issuer is defined in gateway.json; remove it there.");
        }

        // Every federated account of the issuer, as the endpoint counts them: one with claim rules only has no exact subject.
        var accounts = _w.AccountsById.Values.Count(a => a.Authentication == AuthenticationKind.Federated && a.Issuer == found.Url);
        if (accounts > 0)
        {
            throw AdminProblemException.Conflict(ProblemCodes.IssuerInUse, $"{accounts} external service account(s) would still map to this issuer.");
        }

        changes.Remove(found);
    }

    /// <summary>
    /// Keys are checked, never written: a document holds no secret to create one from, and changing or
    /// revoking credentials stays with <c>keys update</c>, <c>keys rotate</c> and <c>keys delete</c>. Each
    /// listed key must exist as described; keys the document leaves out are left alone.
    /// </summary>
    private void CheckKeys(IReadOnlyList<KeyEntry> wanted, IReadOnlyList<KeyEntry> have)
    {
        var current = have.ToDictionary(k => k.Id, StringComparer.Ordinal);
        foreach (var key in wanted.OrderBy(k => k.Owner, StringComparer.Ordinal).ThenBy(k => k.Id, StringComparer.Ordinal))
        {
            if (!current.TryGetValue(key.Id, out var found))
            {
                var line = $"+ key {key.Id} ({key.Owner})";
                _lines.Add(line);
                _refusals.Add(new DirectoryRefusal(line, 409, DirectoryProblemCodes.KeyNotCreatable,
                    $"Apply never creates keys (a document holds no secret): create it with 'gateway admin keys create {key.Owner}', or leave it out of the document."));
                continue;
            }

            var differences = Differences(found, key with { CreatedAt = key.CreatedAt.ToUniversalTime() == found.CreatedAt.ToUniversalTime() ? found.CreatedAt : key.CreatedAt });
            if (differences.Count > 0)
            {
                var line = $"~ key {key.Id} ({key.Owner}): {string.Join(", ", differences)}";
                _lines.Add(line);
                _refusals.Add(new DirectoryRefusal(line, 409, DirectoryProblemCodes.KeyNotChangeable,
                    "Apply never changes keys: use 'gateway admin keys update' or 'keys rotate', then export again."));
            }
        }
    }
}
