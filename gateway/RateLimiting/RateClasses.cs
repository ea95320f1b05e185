using Gateway.Configuration;
using Gateway.Routing;

namespace Gateway.RateLimiting;

/// <summary>The route classes that rate limits are configured for.</summary>
internal enum RateClass : byte
{
    Default,
    GraphQl,
    FileStream,
    Uploads,
    Weave,
}

/// <summary>
/// Names and defaults of <see cref="RateClass"/>. Only these names exist: a route or a limit naming
/// another is a configuration error, so a typo can never leave a route silently unlimited.
/// </summary>
internal static class RateClasses
{
    public static readonly string[] Names = ["default", "graphql", "file-stream", "uploads", "weave"];

    public static string Name(RateClass rateClass) => Names[(int)rateClass];

    public static bool TryParse(string? text, out RateClass rateClass)
    {
        var index = Array.IndexOf(Names, text);
        rateClass = index < 0 ? default : (RateClass)index;
        return index >= 0;
    }

    /// <summary>A route's class when its metadata names none: GraphQL routes are <c>graphql</c>, body-scoped trace routes <c>weave</c>.</summary>
    public static RateClass DefaultFor(ScopeKind kind) => kind switch
    {
        ScopeKind.GraphQl => RateClass.GraphQl,
        ScopeKind.Json or ScopeKind.WeaveRefs or ScopeKind.Otlp => RateClass.Weave,
        ScopeKind.Multipart => RateClass.Uploads,
        _ => RateClass.Default,
    };

    public static void Validate(RateLimitOptions options, List<string> errors)
    {
        foreach (var (name, limits) in options.Classes)
        {
            var path = "Gateway:RateLimits:Classes:" + name;
            if (!TryParse(name, out _))
            {
                errors.Add($"{path}: no such route class. Expected one of: {string.Join(", ", Names)}.");
                continue;
            }

            Bucket(limits.Key, path + ":Key", errors);
            Bucket(limits.Principal, path + ":Principal", errors);
            Bucket(limits.Team, path + ":Team", errors);
        }

        if (options.KeyRequestsPerDay < 0 || options.PrincipalRequestsPerDay < 0)
        {
            errors.Add("Gateway:RateLimits:KeyRequestsPerDay and PrincipalRequestsPerDay must be 0 (no quota) or more.");
        }
    }

    public static string? BucketError(double permitsPerSecond, int burst)
        => permitsPerSecond is >= MinPermitsPerSecond and <= 1_000_000 && burst is >= 1 and <= 10_000_000
            ? null
            : $"PermitsPerSecond must be {MinPermitsPerSecond} to 1000000 (it is {permitsPerSecond}); Burst 1 to 10000000 (it is {burst}).";

    /// <summary>One request in 1 000 seconds: the slowest refill a bucket may have (slower ones would overflow its period).</summary>
    public const double MinPermitsPerSecond = 0.001;

    private static void Bucket(BucketOptions? bucket, string path, List<string> errors)
    {
        if (bucket is not null && BucketError(bucket.PermitsPerSecond, bucket.Burst) is { } error)
        {
            errors.Add($"{path}: {error}");
        }
    }
}
