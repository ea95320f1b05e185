using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.Hosting;
using Gateway.Policy.Model;
using Gateway.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gateway.Admin;

internal sealed record PrincipalLimitsRequest(double? PermitsPerSecond, int? Burst, long? RequestsPerDay);

internal sealed record PrincipalLimitsView(string Principal, double? PermitsPerSecond, int? Burst, long? RequestsPerDay);

/// <summary>
/// A principal's own request limits over the configured ones (<c>/principals/{name}/limits</c>): read by
/// the principal and those who manage it, set and lifted by org admins who may act on it and by
/// operators. A principal never sets its own (a key cannot raise its own ceiling).
/// </summary>
internal static class PrincipalLimitEndpoints
{
    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapGet("/principals/{name}/limits", Get);
        admin.MapPut("/principals/{name}/limits", SetAsync);
        admin.MapDelete("/principals/{name}/limits", Clear);
    }

    private static IResult Get(HttpContext http, string name, DirectoryService directory)
    {
        var caller = AdminCaller.From(http).Principal;
        var d = directory.Current;
        if (!d.TryGetPrincipalByName(name, out var principal) || !AdminAccess.MaySeeUsageOf(d, caller, principal))
        {
            throw AdminProblemException.NotFound(ProblemCodes.PrincipalNotFound, $"Principal '{name}'");
        }

        return AdminJson.Json(View(principal));
    }

    private static async Task<IResult> SetAsync(HttpContext http, string name, DirectoryService directory, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        var body = await AdminJson.ReadAsync<PrincipalLimitsRequest>(http);
        var errors = new FieldErrors();
        if ((body.PermitsPerSecond is null) != (body.Burst is null))
        {
            errors.Add("burst", "Send 'permitsPerSecond' and 'burst' together.");
        }
        else if (body.PermitsPerSecond is { } rate && RateLimiting.RateClasses.BucketError(rate, body.Burst!.Value) is { } error)
        {
            errors.Add("permitsPerSecond", error);
        }

        if (body.RequestsPerDay is < 1)
        {
            errors.Add("requestsPerDay", "'requestsPerDay' must be 1 or more (DELETE the limits to lift the quota).");
        }

        if (body.PermitsPerSecond is null && body.RequestsPerDay is null)
        {
            errors.Add("permitsPerSecond", "Send 'permitsPerSecond' and 'burst', 'requestsPerDay', or both.");
        }

        var limits = new PrincipalLimits { PermitsPerSecond = body.PermitsPerSecond, Burst = body.Burst, RequestsPerDay = body.RequestsPerDay };
        var view = directory.Write(d =>
        {
            var principal = RequireManaged(d, caller.Principal, name);
            errors.ThrowIfAny();
            var now = time.UtcNowMillis();
            var updated = principal with { Limits = limits };
            var detail = $"permitsPerSecond={Show(limits.PermitsPerSecond)} burst={Show(limits.Burst)} requestsPerDay={Show(limits.RequestsPerDay)}";
            return (new ChangeSet().Put(updated).Record(caller.Audit(now, principal.Org, "principal.limits", principal.DisplayName, detail)), View(updated));
        });
        return AdminJson.Json(view);
    }

    private static IResult Clear(HttpContext http, string name, DirectoryService directory, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        directory.Write(d =>
        {
            var principal = RequireManaged(d, caller.Principal, name);
            var now = time.UtcNowMillis();
            return (new ChangeSet().Put(principal with { Limits = null })
                .Record(caller.Audit(now, principal.Org, "principal.limits", principal.DisplayName, "lifted: the configured limits apply")), 0);
        });
        return Results.NoContent();
    }

    // Org admins of the principal's organization who may act on it, and operators; never the principal itself.
    private static Principal RequireManaged(DirectorySnapshot d, Principal caller, string name)
    {
        // Operators set any principal's limits (another operator's too), in every organization.
        if (!d.TryGetPrincipalByName(name, out var principal) || !(AdminAccess.MayActOn(d, caller, principal) || AdminAccess.IsOperator(caller)))
        {
            throw AdminProblemException.NotFound(ProblemCodes.PrincipalNotFound, $"Principal '{name}'");
        }

        if (principal.Id == caller.Id || !(AdminAccess.IsOrgAdmin(caller, principal.Org) || AdminAccess.IsOperator(caller)))
        {
            throw AdminProblemException.Forbidden(ProblemCodes.OrgAdminRequired, "Only an org admin (of another principal) or an operator sets request limits.");
        }

        return principal;
    }

    private static PrincipalLimitsView View(Principal p) => new(p.DisplayName, p.Limits?.PermitsPerSecond, p.Limits?.Burst, p.Limits?.RequestsPerDay);

    private static string Show<T>(T? value) where T : struct => value?.ToString() ?? "configured";
}
