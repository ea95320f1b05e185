using Gateway.Configuration;
using Gateway.Policy.Model;
using Gateway.Usage;

namespace Gateway.RateLimiting;

/// <summary>Which daily quota refused a request (<c>key</c> or <c>principal</c>), its size, and the seconds until the UTC day ends.</summary>
internal readonly record struct QuotaRefusal(string Scope, long Quota, long SecondsLeft)
{
    public bool Refused => Scope is not null;
}

/// <summary>
/// Daily request quotas per key (<c>Gateway:RateLimits:KeyRequestsPerDay</c>) and per principal
/// (<c>PrincipalRequestsPerDay</c>, or the principal's own <c>requestsPerDay</c>), over the counts of
/// <see cref="UsageCounters"/>: on PostgreSQL every replica's allowed requests as of the last flush plus
/// this replica's since, so never a database round trip per request. Days are UTC.
/// </summary>
internal sealed class DailyQuotas(RateLimitOptions options, UsageCounters usage, TimeProvider time)
{
    /// <summary>True when a daily quota applies to <paramref name="principal"/>'s requests (with <paramref name="keyId"/>).</summary>
    public bool Applies(string? keyId, Principal principal)
        => (keyId is not null && options.KeyRequestsPerDay > 0) || PrincipalQuota(principal) is not null;

    /// <summary>
    /// Whether a request already counted goes over a quota: <paramref name="place"/> is its place among this
    /// replica's allowed requests of the day (<see cref="UsageCounters.RecordAllowed"/>), to which the other
    /// replicas' are added.
    /// </summary>
    public QuotaRefusal Check(string? keyId, Principal principal, (long Key, long Principal) place)
    {
        if (keyId is not null && options.KeyRequestsPerDay > 0 && usage.Others(principal.Id, keyId) + place.Key > options.KeyRequestsPerDay)
        {
            return new QuotaRefusal("key", options.KeyRequestsPerDay, SecondsLeft());
        }

        return PrincipalQuota(principal) is { } quota && usage.Others(principal.Id, null) + place.Principal > quota
            ? new QuotaRefusal("principal", quota, SecondsLeft())
            : default;
    }

    private long? PrincipalQuota(Principal principal)
        => principal.Limits?.RequestsPerDay ?? (options.PrincipalRequestsPerDay > 0 ? options.PrincipalRequestsPerDay : null);

    /// <summary>For explain: the quotas that apply and what is used of them today.</summary>
    public string Describe(string? keyId, Principal principal)
    {
        var parts = new List<string>();
        if (keyId is not null && options.KeyRequestsPerDay > 0)
        {
            parts.Add($"key: {usage.Today(principal.Id, keyId)} of {options.KeyRequestsPerDay} today");
        }

        if (PrincipalQuota(principal) is { } quota)
        {
            parts.Add($"principal: {usage.Today(principal.Id, null)} of {quota} today");
        }

        return parts.Count == 0 ? "No daily quota applies." : "Daily quotas: " + string.Join("; ", parts) + ".";
    }

    private long SecondsLeft()
    {
        var now = time.GetUtcNow();
        return Math.Max(1, (long)Math.Ceiling((now.Date.AddDays(1) - now.UtcDateTime).TotalSeconds));
    }
}
