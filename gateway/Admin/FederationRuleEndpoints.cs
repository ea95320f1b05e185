using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.Federation;
using Gateway.Hosting;
using Gateway.Keys;
using Gateway.Policy.Model;
using Gateway.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gateway.Admin;

/// <summary>A claim rule as written in a request: the account's issuer is the rule's issuer.</summary>
internal sealed record CreateFederationRuleRequest(string? Name, string? Subject, Dictionary<string, string>? Conditions)
{
    public FederationRuleDraft Draft => new(Name, Subject, Conditions);
}

/// <summary>A claim rule as listed; <c>rule</c> is how audits and logs name it.</summary>
internal sealed record FederationRuleView(string Name, string Rule, string Id, string Issuer, string Subject, IReadOnlyDictionary<string, string> Conditions, DateTimeOffset CreatedAt)
{
    public static FederationRuleView Of(ServiceAccount account, FederationRule rule) => new(rule.Name, account.DisplayName + "/" + rule.Name, rule.Id,
        account.Issuer!, rule.Subject, rule.Conditions.ToDictionary(c => c.Claim, c => c.Pattern, StringComparer.Ordinal), rule.CreatedAt);
}

/// <summary>
/// A federated service account's claim rules (<c>/service-accounts/{sa}/federation-rules</c>), managed by
/// whoever manages the account. Rules are created and deleted, never edited; one that could match a
/// token another mapping of the same issuer matches is refused (409 <c>federation_rule_overlap</c>).
/// </summary>
internal static class FederationRuleEndpoints
{
    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapPost("/service-accounts/{sa}/federation-rules", CreateAsync);
        admin.MapGet("/service-accounts/{sa}/federation-rules", List);
        admin.MapDelete("/service-accounts/{sa}/federation-rules/{rule}", Delete);
    }

    private static async Task<IResult> CreateAsync(HttpContext http, string sa, DirectoryService directory, ProbeGuard probes, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        var body = await AdminJson.ReadAsync<CreateFederationRuleRequest>(http);
        var errors = new FieldErrors();
        var now = time.UtcNowMillis();
        var rule = FederationRuleChecks.Build(body.Draft, "", NewRuleId(), now, errors.Add);
        probes.ThrowIfLimited(http, caller);
        var hidden = false;
        try
        {
            var view = directory.Write(d =>
            {
                var account = AdminAccess.RequireManagedAccount(d, caller.Principal, sa);
                errors.ThrowIfAny();
                RequireFederated(account);
                if (account.Rules.Any(r => r.Name == rule!.Name))
                {
                    throw AdminProblemException.Conflict(ProblemCodes.NameTaken, $"Service account '{account.DisplayName}' already has a rule named '{rule!.Name}'.");
                }

                if (account.Rules.Length >= FederationRuleChecks.MaxRulesPerAccount)
                {
                    throw AdminProblemException.Conflict(ProblemCodes.FederationRuleLimit, $"A service account holds at most {FederationRuleChecks.MaxRulesPerAccount} rules.");
                }

                FederationRuleChecks.ThrowIfIssuerFull(d, account.Issuer!, 1);
                ThrowIfOverlapping(d, caller.Principal, account.Issuer!, rule, null, ref hidden);
                var updated = account with { Rules = account.Rules.Add(rule!) };
                var changes = new ChangeSet().Put(updated)
                    .Record(caller.Audit(now, account.Org, "service_account.rule_create", account.DisplayName, Describe(rule!)));
                return (changes, FederationRuleView.Of(updated, rule!));
            });
            return AdminJson.Json(view, 201);
        }
        catch (AdminProblemException ex) when (ex.Problem.Code == ProblemCodes.FederationRuleOverlap && hidden)
        {
            probes.RecordProbe(http, caller, "service_account.rule_conflict", sa, $"subject={body.Subject}");
            throw;
        }
    }

    private static IResult List(HttpContext http, string sa, DirectoryService directory)
    {
        var account = AdminAccess.RequireManagedAccount(directory.Current, AdminCaller.From(http).Principal, sa, toActOn: false);
        return AdminJson.Json(account.Rules.Select(r => FederationRuleView.Of(account, r)).ToList());
    }

    private static IResult Delete(HttpContext http, string sa, string rule, DirectoryService directory, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        directory.Write(d =>
        {
            var account = AdminAccess.RequireManagedAccount(d, caller.Principal, sa);
            var found = account.Rules.FirstOrDefault(r => r.Name == rule)
                ?? throw AdminProblemException.NotFound(ProblemCodes.FederationRuleNotFound, $"Rule '{rule}' of service account '{account.DisplayName}'");
            var now = time.UtcNowMillis();
            // Access tokens minted through the rule remember its id: they stop working with it.
            var changes = new ChangeSet().Put(account with { Rules = account.Rules.Remove(found) })
                .Record(caller.Audit(now, account.Org, "service_account.rule_delete", account.DisplayName, $"rule={account.DisplayName}/{found.Name}"));
            return (changes, 0);
        });
        return Results.NoContent();
    }

    /// <summary>
    /// 409 <c>federation_rule_overlap</c> when the rule (or exact subject) could match a token another mapping
    /// of the issuer matches. The other mapping is named only to a caller who manages its account;
    /// <paramref name="hidden"/> says it was not (the answer still told something: a probe).
    /// </summary>
    public static void ThrowIfOverlapping(DirectorySnapshot d, Principal caller, string issuer, FederationRule? rule, string? exactSubject, ref bool hidden)
    {
        if (FederationRuleChecks.FindOverlap(d, issuer, rule, exactSubject) is not { } other)
        {
            return;
        }

        hidden = !AdminAccess.CanManageAccount(d, caller, other.Account);
        throw AdminProblemException.Conflict(ProblemCodes.FederationRuleOverlap, hidden
            ? "A token could match both this and a rule of another service account of the same issuer: make them exclusive (a different subject pattern or a condition that excludes it)."
            : $"A token could match both this and '{other.Name}' of the same issuer: make them exclusive (a different subject pattern or a condition that excludes it).");
    }

    public static void RequireFederated(ServiceAccount account)
    {
        if (account.Authentication != AuthenticationKind.Federated || account.Issuer is null)
        {
            throw AdminProblemException.Conflict(ProblemCodes.ServiceAccountNotFederated, "Claim rules apply only to federated (external) service accounts.");
        }
    }

    public static string NewRuleId() => "fr_" + Base62.Random(16);

    public static string Describe(FederationRule rule)
        => $"rule={rule.Name} subject={rule.Subject}" + string.Concat(rule.Conditions.Select(c => $" {c.Claim}={c.Pattern}"));
}
