namespace Gateway.Configuration;

/// <summary><c>Gateway:Usage</c>: how long request counts per key and principal are kept.</summary>
internal sealed record UsageOptions
{
    /// <summary>Days of hourly counts kept in the store (older ones are deleted hourly).</summary>
    public int RetentionDays { get; init; } = 30;
}
