using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.Policy.Model;
using Gateway.Store;
using Gateway.Usage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gateway.Admin;

internal sealed record UsageHourView(DateTimeOffset Hour, long Allowed, IReadOnlyDictionary<string, long> Refused);

internal sealed record UsageView(string Principal, string? Key, DateTimeOffset From, long Allowed, IReadOnlyDictionary<string, long> Refused, IReadOnlyList<UsageHourView> Hours);

/// <summary>
/// <c>GET /admin/v1/usage?keyId=ID</c> or <c>?principal=NAME</c> (<c>&amp;hours=48</c>, 1 to 720): requests per
/// UTC hour, allowed and refused by code, every hour of the range (zeros included). Counts not yet
/// flushed are flushed first, so the answer includes this replica's last request. The key's owner and
/// its managers; a principal itself and those who may act on it; operators for any.
/// </summary>
internal static class UsageEndpoints
{
    public static void Map(RouteGroupBuilder admin) => admin.MapGet("/usage", Get);

    // The key is named keyId: a query parameter named key is refused everywhere as a credential in the query string.
    private static IResult Get(HttpContext http, DirectoryService directory, UsageCounters usage, TimeProvider time, string? keyId, string? principal, int? hours)
    {
        var caller = AdminCaller.From(http).Principal;
        var errors = new FieldErrors();
        if ((keyId is null) == (principal is null))
        {
            errors.Add("keyId", "Send 'keyId' or 'principal' (a name).");
        }

        if (hours is < 1 or > 720)
        {
            errors.Add("hours", "'hours' must be 1 to 720.");
        }

        errors.ThrowIfAny();
        return AdminJson.Json(Usage(directory, usage, time, caller, keyId, principal, hours ?? 48));
    }

    /// <summary>The usage view, for the API and the console.</summary>
    public static UsageView Usage(DirectoryService directory, UsageCounters usage, TimeProvider time, Principal caller, string? keyId, string? principalName, int hours)
    {
        var d = directory.Current;
        Principal? owner = null;
        if (keyId is not null)
        {
            if (directory.Store.FindKeyById(keyId) is not { } key || !d.TryGetPrincipal(key.OwnerId, out owner) || !AdminAccess.MaySeeUsageOf(d, caller, owner))
            {
                throw AdminProblemException.NotFound(ProblemCodes.KeyNotFound, $"Key '{keyId}'");
            }
        }
        else if (!d.TryGetPrincipalByName(principalName!, out owner) || !AdminAccess.MaySeeUsageOf(d, caller, owner))
        {
            throw AdminProblemException.NotFound(ProblemCodes.PrincipalNotFound, $"Principal '{principalName}'");
        }

        try
        {
            // This replica's newest counts, written only: a report never rescans the day's rows.
            usage.Flush(reload: false);
        }
        catch (StoreUnavailableException)
        {
            // The stored counts are still worth showing; this replica's newest are kept for the next flush.
        }

        var now = time.GetUtcNow();
        var current = new DateTimeOffset(now.Year, now.Month, now.Day, now.Hour, 0, 0, TimeSpan.Zero);
        var from = current.AddHours(-(hours - 1));
        var rows = directory.Store.QueryUsage(owner!.Id, keyId, from);
        var byHour = rows.GroupBy(r => r.Hour).ToDictionary(g => g.Key, g => g.ToList());
        var series = new List<UsageHourView>(hours);
        for (var hour = from; hour <= current; hour = hour.AddHours(1))
        {
            var counts = byHour.GetValueOrDefault(hour) ?? [];
            series.Add(new UsageHourView(hour, counts.Where(c => c.Outcome == UsageCounters.Allowed).Sum(c => c.Count),
                counts.Where(c => c.Outcome != UsageCounters.Allowed).GroupBy(c => c.Outcome).ToDictionary(g => g.Key, g => g.Sum(c => c.Count), StringComparer.Ordinal)));
        }

        var refused = rows.Where(r => r.Outcome != UsageCounters.Allowed).GroupBy(r => r.Outcome)
            .ToDictionary(g => g.Key, g => g.Sum(c => c.Count), StringComparer.Ordinal);
        return new UsageView(owner.DisplayName, keyId, from, rows.Where(r => r.Outcome == UsageCounters.Allowed).Sum(r => r.Count), refused, series);
    }
}
