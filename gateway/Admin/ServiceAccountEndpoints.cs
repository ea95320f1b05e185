using Gateway.Hosting;
using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.Policy.Model;
using Gateway.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gateway.Admin;

/// <summary>Service accounts: org-scoped (org admins) and team-scoped (team admins, org admins).</summary>
internal static class ServiceAccountEndpoints
{
    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapPost("/orgs/{org}/service-accounts", CreateOrgAccountAsync);
        admin.MapPost("/teams/{team}/service-accounts", CreateTeamAccountAsync);
        admin.MapGet("/service-accounts", List);
        admin.MapGet("/service-accounts/{sa}", Get);
        admin.MapDelete("/service-accounts/{sa}", Delete);
        admin.MapPost("/service-accounts/{sa}/deactivate", (HttpContext h, string sa, DirectoryService d, TimeProvider t) => SetActive(h, sa, d, t, false));
        admin.MapPost("/service-accounts/{sa}/reactivate", (HttpContext h, string sa, DirectoryService d, TimeProvider t) => SetActive(h, sa, d, t, true));
        admin.MapPost("/service-accounts/{sa}/keys", CreateKeyAsync);
    }

    private static async Task<IResult> CreateOrgAccountAsync(HttpContext http, string org, DirectoryService directory, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        var body = await AdminJson.ReadAsync<CreateOrgServiceAccountRequest>(http);
        var errors = new FieldErrors();
        errors.Entity("name", body.Name);
        errors.Entity("defaultTeam", body.DefaultTeam);
        var access = errors.Enum<AccessMode>("access", body.Access, AccessMode.Scope);
        var authentication = errors.Enum<AuthenticationKind>("authentication", body.Authentication, AuthenticationKind.BuiltIn);
        if (authentication == AuthenticationKind.Federated)
        {
            errors.Add("authentication", "Org-scoped service accounts are built-in; create external (federated) accounts in a team.");
        }

        CheckGrantAll(body.GrantAllCurrentProjects, access, errors);
        var account = directory.Write(d =>
        {
            AdminAccess.RequireOrgAdmin(d, caller.Principal, org);
            if (body.DefaultTeam is { } team && !(d.Teams.TryGetValue(team, out var t) && t.Org == org))
            {
                errors.Add("defaultTeam", $"'defaultTeam' must be a team of organization '{org}'.");
            }

            errors.ThrowIfAny();
            var now = time.UtcNowMillis();
            var created = new ServiceAccount
            {
                Id = AdminIds.NewServiceAccountId(), Name = body.Name!, Org = org, Scope = ServiceAccountScope.Organization,
                Team = body.DefaultTeam!, Access = access, CreatedAt = now,
            };
            return Plan(d, caller, created, body.GrantAllCurrentProjects == true, p => d.TryGetEntity(p.Entity, out var e) && e.Org == org, now);
        });
        return AdminJson.Json(ServiceAccountView.Of(account), 201);
    }

    private static async Task<IResult> CreateTeamAccountAsync(HttpContext http, string team, DirectoryService directory, ProbeGuard probes, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        var body = await AdminJson.ReadAsync<CreateTeamServiceAccountRequest>(http);
        var errors = new FieldErrors();
        errors.Entity("name", body.Name);
        var access = errors.Enum<AccessMode>("access", body.Access, AccessMode.Scope);
        var authentication = errors.Enum<AuthenticationKind>("authentication", body.Authentication, AuthenticationKind.BuiltIn);
        if (authentication == AuthenticationKind.Federated)
        {
            if (body.Issuer is null || !Uri.TryCreate(body.Issuer, UriKind.Absolute, out var issuer) || issuer.Scheme is not ("https" or "http") || !string.IsNullOrEmpty(issuer.Query) || !string.IsNullOrEmpty(issuer.Fragment))
            {
                errors.Add("issuer", "'issuer' is required for federated accounts: an absolute https URL without query or fragment.");
            }

            // The exact subject, claim rules, or both: at least one way to reach the account.
            if ((body.Subject is not null || body.Rules is not { Count: > 0 })
                && (string.IsNullOrEmpty(body.Subject) || body.Subject.Length > 255 || !Gateway.Policy.Directory.Names.IsPrintable(body.Subject)))
            {
                errors.Add("subject", "'subject' is required for federated accounts without 'rules': 1 to 255 characters, no control characters.");
            }
        }
        else if (body.Issuer is not null || body.Subject is not null || body.Rules is not null)
        {
            errors.Add(body.Issuer is not null ? "issuer" : body.Subject is not null ? "subject" : "rules", "'issuer', 'subject' and 'rules' apply only to federated accounts.");
        }

        var rules = BuildRules(body.Rules, errors, time.UtcNowMillis());

        CheckGrantAll(body.GrantAllCurrentProjects, access, errors);
        if (authentication == AuthenticationKind.Federated)
        {
            probes.ThrowIfLimited(http, caller);
        }

        var hiddenHolder = false;
        try
        {
            var account = directory.Write(d => PlanTeamAccount(d, team, body, rules, errors, access, authentication, caller, time, ref hiddenHolder));
            return AdminJson.Json(ServiceAccountView.Of(account), 201);
        }
        catch (AdminProblemException ex) when (ex.Problem.Code is ProblemCodes.SubjectTaken or ProblemCodes.FederationRuleOverlap && hiddenHolder)
        {
            probes.RecordProbe(http, caller, "service_account.subject_conflict", team, $"issuer={body.Issuer}");
            throw;
        }
    }

    private static AdminProblemException SubjectTaken() => AdminProblemException.Conflict(ProblemCodes.SubjectTaken, "Another service account already maps this issuer and subject.");

    // The account to create. A subject already mapped refuses it; hiddenHolder says whether the caller
    // could not manage the account that holds it (then the 409 is a probe).
    private static (ChangeSet, ServiceAccount) PlanTeamAccount(DirectorySnapshot d, string team, CreateTeamServiceAccountRequest body,
        System.Collections.Immutable.ImmutableArray<FederationRule> rules, FieldErrors errors, AccessMode access, AuthenticationKind authentication, AdminCaller caller, TimeProvider time, ref bool hiddenHolder)
    {
        var found = AdminAccess.RequireTeamAdmin(d, caller.Principal, team);
        // An issuer produces principals of its own organization only.
        if (authentication == AuthenticationKind.Federated && body.Issuer is not null
            && !(d.Issuers.TryGetValue(body.Issuer, out var issuer) && issuer.Org == found.Org))
        {
            errors.Add("issuer", $"'issuer' must be an issuer registered for organization '{found.Org}' (POST /admin/v1/orgs/{found.Org}/issuers).");
        }

        errors.ThrowIfAny();
        if (authentication == AuthenticationKind.Federated && d.AccountsBySubject.TryGetValue((body.Issuer!, body.Subject!), out var holder))
        {
            // One answer whoever holds it (the body names no account).
            hiddenHolder = !AdminAccess.CanManageAccount(d, caller.Principal, holder);
            throw SubjectTaken();
        }

        // The new account's mappings may overlap neither the issuer's others nor each other.
        if (authentication == AuthenticationKind.Federated)
        {
            if (body.Subject is not null)
            {
                FederationRuleEndpoints.ThrowIfOverlapping(d, caller.Principal, body.Issuer!, null, body.Subject, ref hiddenHolder);
            }

            Federation.FederationRuleChecks.ThrowIfIssuerFull(d, body.Issuer!, rules.Length);
            for (var i = 0; i < rules.Length; i++)
            {
                FederationRuleEndpoints.ThrowIfOverlapping(d, caller.Principal, body.Issuer!, rules[i], null, ref hiddenHolder);
                if ((body.Subject is not null && Federation.FederationRuleChecks.OverlapsSubject(rules[i], body.Subject))
                    || rules.Take(i).Any(earlier => Federation.FederationRuleChecks.Overlap(rules[i], earlier)))
                {
                    throw AdminProblemException.Conflict(ProblemCodes.FederationRuleOverlap, $"Rule '{rules[i].Name}' overlaps another mapping of this request: make them exclusive.");
                }
            }
        }

        var now = time.UtcNowMillis();
        var created = new ServiceAccount
        {
            Id = AdminIds.NewServiceAccountId(), Name = body.Name!, Org = found.Org, Scope = ServiceAccountScope.Team, Team = team,
            Authentication = authentication, Issuer = body.Issuer, Subject = body.Subject, Access = access, CreatedAt = now, Rules = rules,
        };
        return Plan(d, caller, created, body.GrantAllCurrentProjects == true, p => p.Entity == team, now);
    }

    private static System.Collections.Immutable.ImmutableArray<FederationRule> BuildRules(List<CreateFederationRuleRequest>? requests, FieldErrors errors, DateTimeOffset now)
    {
        if (requests is null)
        {
            return [];
        }

        if (requests.Count > Federation.FederationRuleChecks.MaxRulesPerAccount)
        {
            errors.Add("rules", $"A service account holds at most {Federation.FederationRuleChecks.MaxRulesPerAccount} rules.");
        }

        var rules = System.Collections.Immutable.ImmutableArray.CreateBuilder<FederationRule>();
        for (var i = 0; i < requests.Count; i++)
        {
            if (requests[i] is null)
            {
                errors.Add($"rules[{i}]", "Each rule must be an object.");
                continue;
            }

            if (Federation.FederationRuleChecks.Build(requests[i].Draft, $"rules[{i}].", FederationRuleEndpoints.NewRuleId(), now, errors.Add) is { } rule)
            {
                if (rules.Any(r => r.Name == rule.Name))
                {
                    errors.Add($"rules[{i}].name", $"Rule names must be distinct: '{rule.Name}' is repeated.");
                }

                rules.Add(rule);
            }
        }

        return rules.ToImmutable();
    }

    // Neptune's "access to all projects": contributor on the projects that exist now (restricted ones
    // excluded: those stay explicit one by one), none on projects created later.
    private static (ChangeSet, ServiceAccount) Plan(DirectorySnapshot d, AdminCaller caller, ServiceAccount created, bool grantAll, Func<Project, bool> inScope, DateTimeOffset now)
    {
        if (d.AccountsByName.ContainsKey(created.DisplayName))
        {
            throw AdminProblemException.Conflict(ProblemCodes.NameTaken, $"A service account named '{created.DisplayName}' exists.");
        }

        var changes = new ChangeSet().Put(created);
        var granted = 0;
        if (grantAll)
        {
            foreach (var project in d.Projects.Values.Where(p => p.Visibility != Visibility.Restricted && inScope(p)))
            {
                changes.Put(new ProjectGrant { PrincipalId = created.Id, Project = project.Key, Role = ProjectRole.Contributor });
                granted++;
            }
        }

        changes.Record(caller.Audit(now, created.Org, "service_account.create", created.DisplayName,
            $"authentication={Wire.Of(created.Authentication)} access={Wire.Of(created.Access)} grants={granted}"));
        return (changes, created);
    }

    private static void CheckGrantAll(bool? grantAll, AccessMode access, FieldErrors errors)
    {
        if (grantAll == true && access != AccessMode.Explicit)
        {
            errors.Add("grantAllCurrentProjects", "'grantAllCurrentProjects' applies only to accounts with access 'explicit'.");
        }
    }

    /// <summary>The service accounts the caller manages (as the seeds' Service Accounts tab), optionally of one team.</summary>
    private static IResult List(HttpContext http, DirectoryService directory, string? team)
    {
        var caller = AdminCaller.From(http).Principal;
        var d = directory.Current;
        return AdminJson.Json(d.AccountsById.Values
            .Where(a => a.Org == caller.Org && (team is null || (a.Scope == ServiceAccountScope.Team && a.Team == team)) && AdminAccess.CanManageAccount(d, caller, a))
            .OrderBy(a => a.DisplayName, StringComparer.Ordinal)
            .Select(ServiceAccountView.Of)
            .ToList());
    }

    private static IResult Get(HttpContext http, string sa, DirectoryService directory)
        => AdminJson.Json(ServiceAccountView.Of(AdminAccess.RequireManagedAccount(directory.Current, AdminCaller.From(http).Principal, sa, toActOn: false)));

    private static IResult Delete(HttpContext http, string sa, DirectoryService directory, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        directory.Write(d =>
        {
            var account = AdminAccess.RequireManagedAccount(d, caller.Principal, sa);
            var now = time.UtcNowMillis();
            var changes = new ChangeSet().Remove(account);
            Cascade.RemovePrincipal(d, directory.Store, account, now, changes);
            changes.Record(caller.Audit(now, account.Org, "service_account.delete", account.DisplayName));
            return (changes, 0);
        });
        return Results.NoContent();
    }

    private static IResult SetActive(HttpContext http, string sa, DirectoryService directory, TimeProvider time, bool active)
    {
        var caller = AdminCaller.From(http);
        var updated = directory.Write(d =>
        {
            var account = AdminAccess.RequireManagedAccount(d, caller.Principal, sa);
            if (account.Active == active)
            {
                return (new ChangeSet(), account);
            }

            var now = time.UtcNowMillis();
            var changed = account with { Active = active };
            var changes = new ChangeSet().Put(changed);
            if (!active)
            {
                // Neptune: reactivation resets the token. Revoking at deactivation guarantees it.
                Cascade.RevokeKeys(directory.Store, account, now, changes);
            }

            changes.Record(caller.Audit(now, account.Org, active ? "service_account.reactivate" : "service_account.deactivate", account.DisplayName));
            return (changes, changed);
        });
        return AdminJson.Json(ServiceAccountView.Of(updated));
    }

    private static async Task<IResult> CreateKeyAsync(HttpContext http, string sa, DirectoryService directory, KeyMinting minting, ProbeGuard imports, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        var body = await AdminJson.ReadAsync<CreateKeyRequest>(http);
        var errors = new FieldErrors();
        var restrictions = KeyMinting.Validate(body, errors, time.UtcNowMillis());
        if (body.Key is { } imported)
        {
            var owner = AdminAccess.RequireManagedAccount(directory.Current, caller.Principal, sa);
            errors.ThrowIfAny();
            imports.Check(http, caller, owner, imported);
        }

        var view = directory.Write(d =>
        {
            var account = AdminAccess.RequireManagedAccount(d, caller.Principal, sa);
            errors.ThrowIfAny();
            if (account.Authentication == AuthenticationKind.Federated)
            {
                throw AdminProblemException.Conflict(ProblemCodes.FederatedAccountHasNoKeys, "A federated service account authenticates with JWTs and holds no keys.");
            }

            if (!account.Active)
            {
                throw AdminProblemException.Conflict(ProblemCodes.ServiceAccountDeactivated, "Reactivate the service account before creating keys.");
            }

            return minting.Plan(directory.Store, d, account, body, restrictions, caller, time.UtcNowMillis());
        });
        return AdminJson.Json(view, 201);
    }
}
