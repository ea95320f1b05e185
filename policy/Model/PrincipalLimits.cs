namespace Gateway.Policy.Model;

/// <summary>
/// A principal's own request limits, set by an org admin or an operator over the configured ones
/// (<c>Gateway:RateLimits</c>): a token bucket for each of its keys and for the principal as a whole,
/// on every route class, and a daily request quota. Null values keep the configured limit.
/// </summary>
public sealed record PrincipalLimits
{
    /// <summary>Requests per second, refilled continuously.</summary>
    public double? PermitsPerSecond { get; init; }

    /// <summary>Requests that may come at once (the bucket's size).</summary>
    public int? Burst { get; init; }

    /// <summary>Requests per UTC day, counted across replicas on PostgreSQL.</summary>
    public long? RequestsPerDay { get; init; }
}
