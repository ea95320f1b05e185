namespace Gateway.Configuration;

/// <summary>
/// <c>Gateway:RateLimits</c>: token buckets per route class (<c>graphql</c>, <c>file-stream</c>,
/// <c>uploads</c>, <c>weave</c>, <c>default</c>) for each key, each principal and each team, and daily
/// request quotas per key and per principal. Nothing is limited unless configured. Buckets are per
/// replica (N replicas let N times the rate through); quotas are counted across replicas on PostgreSQL.
/// </summary>
internal sealed record RateLimitOptions
{
    public Dictionary<string, RateClassOptions> Classes { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Requests per UTC day per key; 0: no quota.</summary>
    public long KeyRequestsPerDay { get; init; }

    /// <summary>Requests per UTC day per principal (all its keys and tokens together); 0: no quota.</summary>
    public long PrincipalRequestsPerDay { get; init; }
}

/// <summary>The buckets of one route class; an absent bucket does not limit.</summary>
internal sealed record RateClassOptions
{
    public BucketOptions? Key { get; init; }

    public BucketOptions? Principal { get; init; }

    public BucketOptions? Team { get; init; }
}

/// <summary>One token bucket: <see cref="PermitsPerSecond"/> refilled continuously, up to <see cref="Burst"/> at once.</summary>
internal sealed record BucketOptions
{
    public double PermitsPerSecond { get; init; }

    public int Burst { get; init; }
}
