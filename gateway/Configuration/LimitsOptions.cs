namespace Gateway.Configuration;

/// <summary>
/// The <c>Gateway:Limits</c> section: Kestrel's limits, set deliberately rather than inherited, and
/// the failed-authentication limits. Every value is documented in README.
/// </summary>
internal sealed record LimitsOptions
{
    public int MaxRequestHeadersTotalSize { get; init; } = 32 * 1024;
    public int MaxRequestHeaderCount { get; init; } = 100;
    public int MaxRequestLineSize { get; init; } = 8 * 1024;

    /// <summary>Matches the largest default body-scope cap (json and multipart routes).</summary>
    public long MaxRequestBodySize { get; init; } = 32 * 1024 * 1024;

    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(120);
    public double MinRequestBodyDataRate { get; init; } = 240;
    public double MinResponseDataRate { get; init; } = 240;
    public TimeSpan MinDataRateGracePeriod { get; init; } = TimeSpan.FromSeconds(5);
    public long MaxConcurrentConnections { get; init; } = 10_000;

    /// <summary>HTTP/2: concurrent streams per connection.</summary>
    public int Http2MaxStreamsPerConnection { get; init; } = 100;

    /// <summary>HTTP/2: HPACK dynamic table size in bytes.</summary>
    public int Http2HeaderTableSize { get; init; } = 4096;

    /// <summary>HTTP/2: largest single header field (name and value, decoded).</summary>
    public int Http2MaxRequestHeaderFieldSize { get; init; } = 16 * 1024;

    /// <summary>Failed authentications per client address per minute before 429.</summary>
    public int FailedAuthenticationsPerAddress { get; init; } = 60;

    /// <summary>Failed authentications per presented key id per minute before 429.</summary>
    public int FailedAuthenticationsPerKeyId { get; init; } = 20;

    /// <summary>Failed authentications per second from all clients together before uncached lookups wait (a distributed flood).</summary>
    public int FailedAuthenticationsPerSecond { get; init; } = 2_000;

    /// <summary>
    /// Audit events per second for repeatable failures (failed authentications, refused exchanges); the
    /// rest are counted, not written, so a flood cannot fill the store.
    /// </summary>
    public int AuditedFailuresPerSecond { get; init; } = 5;

    /// <summary>Slots of each failure table (fixed memory: 8 bytes a slot).</summary>
    public int FailureTableSlots { get; init; } = 65_536;
}
