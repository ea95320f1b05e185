using System.Globalization;
using Gateway.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Gateway.RateLimiting;

/// <summary>
/// The 429 of a rate limit or quota: <c>Retry-After</c> in whole seconds, and the IETF RateLimit header
/// fields (draft-ietf-httpapi-ratelimit-headers: <c>RateLimit-Policy: "key-graphql";q=100;w=2</c> and
/// <c>RateLimit: "key-graphql";r=0;t=2</c>) naming the bucket that refused, its size and its refill
/// window. Sent with the refusal only: on every allowed response they would cost the hot path a
/// formatted header. Never shadowed: a shadow-mode route still gets its 429.
/// </summary>
internal static class RateLimitAnswer
{
    public static Task WriteAsync(HttpContext context, in RateRefusal refusal, string? keyId, string principal)
    {
        var seconds = Math.Max(1, (long)Math.Ceiling(refusal.RetryAfter.TotalSeconds));
        var policy = refusal.Scope + "-" + RateClasses.Name(refusal.Class);
        var window = Math.Max(1, (long)Math.Ceiling(refusal.Burst / refusal.PermitsPerSecond));
        var headers = context.Response.Headers;
        headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        headers["RateLimit-Policy"] = $"\"{policy}\";q={refusal.Burst};w={window}";
        headers["RateLimit"] = $"\"{policy}\";r=0;t={seconds}";
        var who = refusal.Scope switch
        {
            "key" => keyId is null ? "This credential" : $"Key {keyId}",
            "principal" => principal,
            _ => "This team",
        };
        var detail = $"{who} is over its limit on {RateClasses.Name(refusal.Class)} routes ({refusal.PermitsPerSecond.ToString(CultureInfo.InvariantCulture)} requests a second, "
            + $"{refusal.Burst} at once); retry in {seconds} s.";
        return GatewayProblem.WriteAsync(context.Response, 429, ProblemCodes.RateLimited, detail);
    }

    public static Task WriteAsync(HttpContext context, in QuotaRefusal refusal, string? keyId, string principal)
    {
        var seconds = refusal.SecondsLeft.ToString(CultureInfo.InvariantCulture);
        var policy = refusal.Scope + "-day";
        var headers = context.Response.Headers;
        headers.RetryAfter = seconds;
        headers["RateLimit-Policy"] = $"\"{policy}\";q={refusal.Quota};w=86400";
        headers["RateLimit"] = $"\"{policy}\";r=0;t={seconds}";
        var who = refusal.Scope == "key" ? (keyId is null ? "This credential" : $"Key {keyId}") : principal;
        return GatewayProblem.WriteAsync(context.Response, 429, ProblemCodes.QuotaExceeded,
            $"{who} has used its {refusal.Quota} requests for today (UTC); the quota renews in {seconds} s.");
    }
}
