using System.Collections.Immutable;
using Gateway.Admin;
using Gateway.Diagnostics;
using Gateway.Federation;
using Gateway.Policy.Model;
using Gateway.Store;

namespace Gateway.DirectoryAsCode;

/// <summary>Users and service accounts: each field that changes is checked as the endpoint that changes it checks it.</summary>
internal sealed partial class DirectoryPlanner
{
    private static UserEntry NormalizeUser(UserEntry u) => u with
    {
        Operator = u.Operator == true ? true : null, Active = u.Active == false ? false : null, Teams = Sorted(u.Teams),
    };

    private static ServiceAccountEntry NormalizeAccount(ServiceAccountEntry a) => a with
    {
        Active = a.Active == false ? false : null,
        Rules = a.Rules is not { Count: > 0 } rules ? null : new SortedDictionary<string, FederationRuleEntry>(
            rules.ToDictionary(r => r.Key, r => r.Value with { Conditions = r.Value.Conditions is { Count: > 0 } c ? Sorted(c) : null }), StringComparer.Ordinal),
    };

    // POST /orgs/{org}/users, then what the document sets beyond a new user's fields.
    private Action<ChangeSet> CreateUser(UserEntry wanted) => changes =>
    {
        AdminAccess.RequireOrgAdmin(_w, Caller, _org);
        var errors = new FieldErrors();
        if (!Policy.Directory.Names.IsValidEmail(wanted.Email))
        {
            errors.Add("email", "'email' is not a valid email address.");
        }

        if (wanted.Name is not null)
        {
            errors.Label("name", wanted.Name);
        }

        errors.ThrowIfAny();
        DirectoryRules.RequireFreeName(_w, wanted.Username);
        DirectoryRules.RequireFreeEmail(_w, wanted.Email);
        var created = new User
        {
            Id = Admin.AdminIds.NewUserId(), Username = wanted.Username, Email = wanted.Email, Org = _org,
            OrgRole = Parse<OrgRole>(wanted.OrgRole), FullName = wanted.Name, CreatedAt = _now,
        };
        var blank = new UserEntry { Username = created.Username, Email = created.Email, Name = created.FullName, OrgRole = wanted.OrgRole, Teams = Sorted(null) };
        ChangeUser(_w.Apply(new ChangeSet().Put(created)), created, blank, wanted, changes);
    };

    private Action<ChangeSet> UpdateUser(UserEntry wanted) => changes =>
    {
        var user = AdminAccess.RequireUserToActOn(_w, Caller, wanted.Username);
        ChangeUser(_w, user, ViewOf(user), wanted, changes);
    };

    private UserEntry ViewOf(User user) => NormalizeUser(new UserEntry
    {
        Username = user.Username, Email = user.Email, Name = user.FullName, OrgRole = Wire.Of(user.OrgRole), Operator = user.Operator, Active = user.Active,
        DefaultEntity = user.DefaultEntity, Teams = user.Teams.ToDictionary(t => t.Key, t => Wire.Of(t.Value)), Limits = DirectoryExporter.Limits(user.Limits),
    });

    /// <summary>
    /// Moves <paramref name="user"/> from <paramref name="had"/> to <paramref name="wanted"/> field by field,
    /// each under the rule of its endpoint: PATCH /users (role, email, name, default entity), the
    /// membership endpoints, deactivate and reactivate, the operator endpoints, the limits endpoints.
    /// </summary>
    private void ChangeUser(Directory.DirectorySnapshot d, User user, UserEntry had, UserEntry wanted, ChangeSet changes)
    {
        var errors = new FieldErrors();
        var after = user;
        user = AdminAccess.RequireUserToActOn(d, Caller, user.Username);
        var orgAdmin = AdminAccess.IsOrgAdmin(Caller, _org);
        if (wanted.Email != had.Email)
        {
            RequireOrgAdminFor("a user's email", orgAdmin);
            if (!Policy.Directory.Names.IsValidEmail(wanted.Email))
            {
                errors.Add("email", "'email' is not a valid email address.");
            }
            else if (!string.Equals(wanted.Email, user.Email, StringComparison.OrdinalIgnoreCase))
            {
                DirectoryRules.RequireFreeEmail(d, wanted.Email);
            }

            after = after with { Email = wanted.Email };
        }

        if (wanted.OrgRole != had.OrgRole)
        {
            RequireOrgAdminFor("a user's role", orgAdmin);
            if (user.Id == Caller.Id)
            {
                throw AdminProblemException.Conflict("cannot_change_own_role", "An admin cannot change their own role: ask another org admin.");
            }

            after = after with { OrgRole = Parse<OrgRole>(wanted.OrgRole) };
        }

        if (wanted.Name != had.Name)
        {
            if (wanted.Name is not null)
            {
                errors.Label("name", wanted.Name);
            }

            after = after with { FullName = wanted.Name };
        }

        foreach (var team in had.Teams!.Keys.Union(wanted.Teams!.Keys).Order(StringComparer.Ordinal))
        {
            var role = wanted.Teams!.GetValueOrDefault(team);
            if (role == had.Teams!.GetValueOrDefault(team))
            {
                continue;
            }

            var found = AdminAccess.RequireTeamAdmin(d, Caller, team);
            if (found.Org != _org || !AdminAccess.MayChangeTeamRoleOf(Caller, user))
            {
                throw AdminProblemException.NotFound(ProblemCodes.UserNotFound, $"User '{user.Username}'");
            }

            after = after with { Teams = role is null ? after.Teams.Remove(team) : after.Teams.SetItem(team, Parse<TeamRole>(role)) };
        }

        if (wanted.DefaultEntity != had.DefaultEntity || (wanted.DefaultEntity is { } kept && !after.Teams.ContainsKey(kept)))
        {
            if (wanted.DefaultEntity is { } entity && entity != user.Username && !after.Teams.ContainsKey(entity))
            {
                errors.Add("defaultEntity", $"'defaultEntity' must be the user's own name or one of their teams: {string.Join(", ", after.Teams.Keys.Order(StringComparer.Ordinal).Prepend(user.Username))}.");
            }

            after = after with { DefaultEntity = wanted.DefaultEntity };
        }

        if (wanted.Active != had.Active)
        {
            AdminAccess.RequireOrgAdmin(d, Caller, _org);
            var active = wanted.Active != false;
            if (user.Id == Caller.Id)
            {
                throw AdminProblemException.Conflict("cannot_deactivate_self", "An admin cannot deactivate their own user.");
            }

            if (!active)
            {
                DirectoryRules.RequireNotLastOperator(d, user);
                // As users deactivate: console sessions end for good; keys come back with the user.
                foreach (var session in _store.LiveAccessTokensOfOwner(user.Id, _now).Where(k => k is { Format: ApiKeyFormatKind.ConsoleSession, RevokedAt: null }))
                {
                    changes.Put(session with { RevokedAt = _now });
                }
            }

            after = after with { Active = active };
        }

        if (wanted.Operator != had.Operator)
        {
            if (!AdminAccess.IsOperator(Caller))
            {
                throw AdminProblemException.Forbidden(ProblemCodes.OperatorRequired, "Only a gateway operator may grant or revoke the operator role.");
            }

            if (wanted.Operator != true)
            {
                DirectoryRules.RequireNotLastOperator(d, user);
            }

            after = after with { Operator = wanted.Operator == true };
        }

        if (!Equals(wanted.Limits, had.Limits))
        {
            after = after with { Limits = Limits(d, user, wanted.Limits, errors) };
        }

        errors.ThrowIfAny();
        changes.Put(after);
    }

    private static void RequireOrgAdminFor(string what, bool orgAdmin)
    {
        if (!orgAdmin)
        {
            throw AdminProblemException.Forbidden(ProblemCodes.OrgAdminRequired, $"Only an org admin changes {what}.");
        }
    }

    // DELETE /users/{username}.
    private void DeleteUser(string username, ChangeSet changes)
    {
        var user = AdminAccess.RequireUserToActOn(_w, Caller, username);
        AdminAccess.RequireOrgAdmin(_w, Caller, user.Org);
        if (user.Id == Caller.Id)
        {
            throw AdminProblemException.Conflict("cannot_delete_self", "An admin cannot delete their own user.");
        }

        DirectoryRules.RequireNotLastOperator(_w, user);
        RequireUnreferenced(user);
        changes.Remove(user);
        Cascade.RemovePrincipal(_w, _store, user, _now, changes);
    }

    // POST /teams/{team}/service-accounts or /orgs/{org}/service-accounts, then its state and limits.
    private Action<ChangeSet> CreateAccount(ServiceAccountEntry wanted) => changes =>
    {
        var errors = new FieldErrors();
        var authentication = Parse<AuthenticationKind>(wanted.Authentication);
        var scope = Parse<ServiceAccountScope>(wanted.Scope);
        if (scope == ServiceAccountScope.Team)
        {
            var team = AdminAccess.RequireTeamAdmin(_w, Caller, wanted.Team);
            if (team.Org != _org)
            {
                throw AdminProblemException.NotFound(ProblemCodes.TeamNotFound, $"Team '{wanted.Team}'");
            }

            if (authentication == AuthenticationKind.Federated && !(wanted.Issuer is { } url && _w.Issuers.TryGetValue(url, out var issuer) && issuer.Org == _org))
            {
                errors.Add("issuer", $"'issuer' must be an issuer registered for organization '{_org}' (list it under issuers).");
            }

            // The exact subject, claim rules, both, or (as the rules endpoints leave an account whose last rule
            // they deleted, and so an export holds it) neither: an account no token maps to.
            if (authentication == AuthenticationKind.Federated && wanted.Subject is not null && !Policy.Directory.Names.IsPrintable(wanted.Subject))
            {
                errors.Add("subject", "'subject' is 1 to 255 characters, no control characters.");
            }
        }
        else
        {
            AdminAccess.RequireOrgAdmin(_w, Caller, _org);
            if (authentication == AuthenticationKind.Federated)
            {
                errors.Add("authentication", "Org-scoped service accounts are built-in; create external (federated) accounts in a team.");
            }

            if (!(_w.Teams.TryGetValue(wanted.Team, out var team) && team.Org == _org))
            {
                errors.Add("team", $"An org service account's 'team' (its default team) must be a team of organization '{_org}'.");
            }
        }

        if (authentication != AuthenticationKind.Federated && wanted.Rules is not null)
        {
            errors.Add("rules", "'rules' apply only to federated accounts.");
        }

        var rules = NewRules(wanted.Rules, [], errors) ?? [];
        errors.ThrowIfAny();
        if (authentication == AuthenticationKind.Federated && wanted.Subject is not null && _w.AccountsBySubject.ContainsKey((wanted.Issuer!, wanted.Subject)))
        {
            throw AdminProblemException.Conflict(ProblemCodes.SubjectTaken, "Another service account already maps this issuer and subject.");
        }

        var created = new ServiceAccount
        {
            Id = Admin.AdminIds.NewServiceAccountId(), Name = wanted.Name, Org = _org, Scope = scope, Team = wanted.Team,
            Authentication = authentication, Issuer = wanted.Issuer, Subject = wanted.Subject, Access = Parse<AccessMode>(wanted.Access), CreatedAt = _now,
        };
        if (authentication == AuthenticationKind.Federated)
        {
            // As POST /teams/{team}/service-accounts: the subject and each rule may overlap no other mapping of the issuer, nor each other.
            if (wanted.Subject is not null)
            {
                FederationRuleEndpoints.ThrowIfOverlapping(_w, Caller, wanted.Issuer!, null, wanted.Subject, ref _hiddenOverlap);
            }

            created = AddRules(_w.Apply(new ChangeSet().Put(created)), created, rules);
        }

        if (_w.AccountsByName.ContainsKey(created.DisplayName))
        {
            throw AdminProblemException.Conflict(ProblemCodes.NameTaken, $"A service account named '{created.DisplayName}' exists.");
        }

        var d = _w.Apply(new ChangeSet().Put(created));
        var limits = wanted.Limits is null ? null : Limits(d, created, wanted.Limits, errors);
        errors.ThrowIfAny();
        // A new account has no keys: created deactivated, there is nothing to revoke.
        changes.Put(created with { Active = wanted.Active != false, Limits = limits });
    };

    // PATCH /service-accounts/{sa} (an org account's default team), deactivate, reactivate, limits.
    private Action<ChangeSet> UpdateAccount(string name, ServiceAccountEntry wanted, ServiceAccountEntry had) => changes =>
    {
        var account = AdminAccess.RequireManagedAccount(_w, Caller, name);
        var immutable = new[] { ("authentication", wanted.Authentication, had.Authentication), ("issuer", wanted.Issuer, had.Issuer), ("subject", wanted.Subject, had.Subject), ("access", wanted.Access, had.Access), ("scope", wanted.Scope, had.Scope) }
            .Where(f => f.Item2 != f.Item3).Select(f => f.Item1).ToList();
        if (immutable.Count > 0)
        {
            throw AdminProblemException.Conflict(DirectoryProblemCodes.ImmutableField,
                $"A service account's {string.Join(", ", immutable)} cannot change: give the new account another name (its keys do not move).");
        }

        var errors = new FieldErrors();
        var after = account;
        if (Differences(new ServiceAccountEntry { Name = "", Scope = "", Team = "", Rules = wanted.Rules }, new ServiceAccountEntry { Name = "", Scope = "", Team = "", Rules = had.Rules }).Count > 0)
        {
            // As the federation-rules endpoints: a rule left out is deleted, a new or changed one created (with a new id).
            FederationRuleEndpoints.RequireFederated(account);
            var kept = account.Rules.Where(r => wanted.Rules?.GetValueOrDefault(r.Name) is { } w && SameRule(r, w)).ToImmutableArray();
            if (NewRules(wanted.Rules, [.. kept.Select(r => r.Name)], errors) is { } added)
            {
                var without = account with { Rules = kept };
                after = AddRules(_w.Apply(new ChangeSet().Put(without)), without, added);
            }
        }

        if (wanted.Team != had.Team)
        {
            if (!(_w.Teams.TryGetValue(wanted.Team, out var team) && team.Org == _org))
            {
                errors.Add("team", $"'team' must be a team of organization '{_org}'.");
            }

            after = after with { Team = wanted.Team };
        }

        if (wanted.Active != had.Active)
        {
            after = after with { Active = wanted.Active != false };
            if (wanted.Active == false)
            {
                // Neptune: reactivation resets the token. Revoking at deactivation guarantees it.
                Cascade.RevokeKeys(_store, account, _now, changes);
            }
        }

        if (!Equals(wanted.Limits, had.Limits))
        {
            after = after with { Limits = Limits(_w, account, wanted.Limits, errors) };
        }

        errors.ThrowIfAny();
        changes.Put(after);
    };

    // The rules of the document not in keep, checked field by field as POST .../federation-rules checks
    // them; null when any is invalid (each error added).
    private ImmutableArray<FederationRule>? NewRules(IReadOnlyDictionary<string, FederationRuleEntry>? wanted, HashSet<string> keep, FieldErrors errors)
    {
        if (wanted is null)
        {
            return [];
        }

        var valid = wanted.Count <= FederationRuleChecks.MaxRulesPerAccount;
        if (!valid)
        {
            errors.Add("rules", $"A service account holds at most {FederationRuleChecks.MaxRulesPerAccount} rules.");
        }

        var rules = ImmutableArray.CreateBuilder<FederationRule>();
        foreach (var (name, entry) in wanted.Where(r => !keep.Contains(r.Key)).OrderBy(r => r.Key, StringComparer.Ordinal))
        {
            if (FederationRuleChecks.Build(new FederationRuleDraft(name, entry.Subject, entry.Conditions), $"rules.{name}.", FederationRuleEndpoints.NewRuleId(), _now, errors.Add) is { } rule)
            {
                rules.Add(rule);
            }
            else
            {
                valid = false;
            }
        }

        return valid ? rules.ToImmutable() : null;
    }

    // Adds rules one by one to an account already in d, each refused (409 federation_rule_overlap) when a token
    // could match it and another mapping of the issuer: other accounts', the account's own subject and rules.
    private ServiceAccount AddRules(Directory.DirectorySnapshot d, ServiceAccount account, ImmutableArray<FederationRule> rules)
    {
        foreach (var rule in rules)
        {
            FederationRuleChecks.ThrowIfIssuerFull(d, account.Issuer!, 1);
            FederationRuleEndpoints.ThrowIfOverlapping(d, Caller, account.Issuer!, rule, null, ref _hiddenOverlap);
            account = account with { Rules = account.Rules.Add(rule) };
            d = d.Apply(new ChangeSet().Put(account));
        }

        return account;
    }

    private static bool SameRule(FederationRule rule, FederationRuleEntry entry)
        => rule.Subject == entry.Subject && rule.Conditions.Length == (entry.Conditions?.Count ?? 0)
            && rule.Conditions.All(c => entry.Conditions!.TryGetValue(c.Claim, out var pattern) && pattern == c.Pattern);

    // DELETE /service-accounts/{sa}.
    private void DeleteAccount(string name, ChangeSet changes)
    {
        var account = AdminAccess.RequireManagedAccount(_w, Caller, name);
        RequireUnreferenced(account);
        changes.Remove(account);
        Cascade.RemovePrincipal(_w, _store, account, _now, changes);
    }

    // PUT and DELETE /principals/{name}/limits: org admins who may act on the principal and operators, never the principal itself.
    private PrincipalLimits? Limits(Directory.DirectorySnapshot d, Principal principal, LimitsEntry? wanted, FieldErrors errors)
    {
        if (!(AdminAccess.MayActOn(d, Caller, principal) || AdminAccess.IsOperator(Caller)))
        {
            throw AdminProblemException.NotFound(ProblemCodes.PrincipalNotFound, $"Principal '{principal.DisplayName}'");
        }

        if (principal.Id == Caller.Id || !(AdminAccess.IsOrgAdmin(Caller, principal.Org) || AdminAccess.IsOperator(Caller)))
        {
            throw AdminProblemException.Forbidden(ProblemCodes.OrgAdminRequired, "Only an org admin (of another principal) or an operator sets request limits.");
        }

        if (wanted is null)
        {
            return null;
        }

        if ((wanted.PermitsPerSecond is null) != (wanted.Burst is null))
        {
            errors.Add("limits.burst", "Send 'permitsPerSecond' and 'burst' together.");
        }
        else if (wanted.PermitsPerSecond is { } rate && RateLimiting.RateClasses.BucketError(rate, wanted.Burst!.Value) is { } error)
        {
            errors.Add("limits.permitsPerSecond", error);
        }

        if (wanted.RequestsPerDay is < 1 || (wanted.PermitsPerSecond is null && wanted.RequestsPerDay is null))
        {
            errors.Add("limits.requestsPerDay", "Set 'permitsPerSecond' and 'burst', 'requestsPerDay' (1 or more), or both.");
        }

        return new PrincipalLimits { PermitsPerSecond = wanted.PermitsPerSecond, Burst = wanted.Burst, RequestsPerDay = wanted.RequestsPerDay };
    }
}
