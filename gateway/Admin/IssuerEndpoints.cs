using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.Federation;
using Gateway.Hosting;
using Gateway.Policy.Model;
using Gateway.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gateway.Admin;

/// <summary>
/// Trusted JWT issuers of an organization: org admins only. An issuer URL belongs to one
/// organization; issuers from gateway.json are listed but cannot be changed here.
/// </summary>
internal static class IssuerEndpoints
{
    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapPost("/orgs/{org}/issuers", CreateAsync);
        admin.MapGet("/orgs/{org}/issuers", List);
        admin.MapDelete("/orgs/{org}/issuers", Delete);
    }

    private static async Task<IResult> CreateAsync(HttpContext http, string org, DirectoryService directory, IssuerKeyRegistry keys, ProbeGuard probes, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        var body = await AdminJson.ReadAsync<CreateIssuerRequest>(http);
        var errors = new FieldErrors();
        probes.ThrowIfLimited(http, caller);
        var heldElsewhere = false;
        TrustedIssuer issuer;
        try
        {
            issuer = Register();
        }
        catch (AdminProblemException ex) when (ex.Problem.Code == ProblemCodes.IssuerExists && heldElsewhere)
        {
            // Another organization's issuer: the 409 tells which identity providers others use.
            probes.RecordConflict(http, caller, "issuer.create_conflict", org, ProblemCodes.IssuerExists, body.Issuer ?? "");
            throw;
        }

        // Fetch its keys now, so the first exchange does not wait for them.
        _ = keys.For(issuer).RefreshIfDueAsync();
        return AdminJson.Json(IssuerView.Of(issuer, keys), 201);

        TrustedIssuer Register() => directory.Write(d =>
        {
            AdminAccess.RequireOrgAdmin(d, caller.Principal, org);
            var now = time.UtcNowMillis();
            var draft = new IssuerDraft(body.Issuer, org, body.Audiences, body.Algorithms, body.Types, body.JwksUri,
                Seconds(body.MaxTokenLifetimeSeconds), Seconds(body.ClockSkewSeconds), body.AcceptRawJwt);
            var created = IssuerRules.Build(draft, now, errors.Add);
            errors.ThrowIfAny();
            if (d.Issuers.TryGetValue(created!.Url, out var existing))
            {
                heldElsewhere = existing.Org != org;
                throw AdminProblemException.Conflict(ProblemCodes.IssuerExists, "This issuer is already registered (an issuer belongs to one organization).");
            }

            var detail = $"audiences={string.Join(',', created.Audiences)} algorithms={string.Join(',', created.Algorithms)} acceptRawJwt={created.AcceptRawJwt}";
            return (new ChangeSet().Put(created).Record(caller.Audit(now, org, "issuer.create", created.Url, detail)), created);
        });
    }

    private static IResult List(HttpContext http, string org, DirectoryService directory, IssuerKeyRegistry keys)
    {
        var snapshot = directory.Current;
        AdminAccess.RequireOrgAdmin(snapshot, AdminCaller.From(http).Principal, org);
        return AdminJson.Json(snapshot.Issuers.Values.Where(i => i.Org == org).OrderBy(i => i.Url, StringComparer.Ordinal)
            .Select(i => IssuerView.Of(i, keys)).ToList());
    }

    private static IResult Delete(HttpContext http, string org, string? issuer, DirectoryService directory, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        directory.Write(d =>
        {
            AdminAccess.RequireOrgAdmin(d, caller.Principal, org);
            if (issuer is null || !d.Issuers.TryGetValue(issuer, out var found) || found.Org != org)
            {
                throw AdminProblemException.NotFound(ProblemCodes.IssuerNotFound, "Issuer (name it with ?issuer=<url>)");
            }

            if (found.FromConfiguration)
            {
                throw AdminProblemException.Conflict(ProblemCodes.IssuerFromConfiguration, "This issuer is defined in gateway.json; remove it there.");
            }

            var accounts = d.AccountsById.Values.Count(a => a.Authentication == AuthenticationKind.Federated && a.Issuer == found.Url);
            if (accounts > 0)
            {
                throw AdminProblemException.Conflict(ProblemCodes.IssuerInUse, $"{accounts} external service account(s) map to this issuer; delete them first.");
            }

            var now = time.UtcNowMillis();
            // Access tokens exchanged from it stop working on their next use: their (issuer, subject) no longer maps.
            return (new ChangeSet().Remove(found).Record(caller.Audit(now, org, "issuer.delete", found.Url)), 0);
        });
        return Results.NoContent();
    }

    private static TimeSpan? Seconds(int? seconds) => seconds is { } s ? TimeSpan.FromSeconds(s) : null;
}

internal sealed record CreateIssuerRequest(
    string? Issuer,
    string[]? Audiences,
    string[]? Algorithms,
    string[]? Types,
    string? JwksUri,
    int? MaxTokenLifetimeSeconds,
    int? ClockSkewSeconds,
    bool? AcceptRawJwt);

internal sealed record IssuerKeysView(int Count, DateTimeOffset? FetchedAt, bool LastFetchFailed);

internal sealed record IssuerView(
    string Issuer,
    string Org,
    IReadOnlyList<string> Audiences,
    IReadOnlyList<string> Algorithms,
    IReadOnlyList<string> Types,
    string? JwksUri,
    int MaxTokenLifetimeSeconds,
    int ClockSkewSeconds,
    bool AcceptRawJwt,
    string Source,
    DateTimeOffset CreatedAt,
    IssuerKeysView Keys)
{
    public static IssuerView Of(TrustedIssuer i, IssuerKeyRegistry registry)
    {
        var keys = registry.TryGet(i.Url, out var k) && k is not null && ReferenceEquals(k.Issuer, i)
            ? new IssuerKeysView(k.KeyCount, k.KeysFetchedAt, k.LastAttemptFailed)
            : new IssuerKeysView(0, null, false);
        return new(i.Url, i.Org, i.Audiences, i.Algorithms, i.Types, i.JwksUri, (int)i.MaxTokenLifetime.TotalSeconds,
            (int)i.ClockSkew.TotalSeconds, i.AcceptRawJwt, i.FromConfiguration ? "config" : "api", i.CreatedAt, keys);
    }
}
