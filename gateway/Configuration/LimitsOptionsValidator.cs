namespace Gateway.Configuration;

/// <summary>Checks <c>Gateway:Limits</c>, adding every error to the caller's list.</summary>
internal static class LimitsOptionsValidator
{
    private const string Section = "Gateway:Limits";

    public static void Validate(LimitsOptions o, List<string> errors)
    {
        Range(errors, "MaxRequestHeadersTotalSize", o.MaxRequestHeadersTotalSize, 4 * 1024, 1024 * 1024);
        Range(errors, "MaxRequestHeaderCount", o.MaxRequestHeaderCount, 16, 1000);
        Range(errors, "MaxRequestLineSize", o.MaxRequestLineSize, 1024, 64 * 1024);
        Range(errors, "MaxRequestBodySize", o.MaxRequestBodySize, 1024, 4L * 1024 * 1024 * 1024);
        Range(errors, "RequestHeadersTimeout", o.RequestHeadersTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));
        Range(errors, "KeepAliveTimeout", o.KeepAliveTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        Range(errors, "MinRequestBodyDataRate", o.MinRequestBodyDataRate, 1, 1_000_000);
        Range(errors, "MinResponseDataRate", o.MinResponseDataRate, 1, 1_000_000);
        Range(errors, "MinDataRateGracePeriod", o.MinDataRateGracePeriod, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5));
        Range(errors, "MaxConcurrentConnections", o.MaxConcurrentConnections, 1, 10_000_000);
        Range(errors, "FailedAuthenticationsPerAddress", o.FailedAuthenticationsPerAddress, 1, 1_000_000);
        Range(errors, "FailedAuthenticationsPerKeyId", o.FailedAuthenticationsPerKeyId, 1, 1_000_000);
        Range(errors, "FailedAuthenticationsPerSecond", o.FailedAuthenticationsPerSecond, 1, 10_000_000);
        Range(errors, "AuditedFailuresPerSecond", o.AuditedFailuresPerSecond, 1, 1_000_000);
        Range(errors, "Http2MaxStreamsPerConnection", o.Http2MaxStreamsPerConnection, 1, 10_000);
        Range(errors, "Http2HeaderTableSize", o.Http2HeaderTableSize, 0, 1024 * 1024);
        Range(errors, "Http2MaxRequestHeaderFieldSize", o.Http2MaxRequestHeaderFieldSize, 1024, 1024 * 1024);
        Range(errors, "FailureTableSlots", o.FailureTableSlots, 1024, 16 * 1024 * 1024);
    }

    private static void Range<T>(List<string> errors, string name, T value, T min, T max) where T : IComparable<T>
    {
        if (value.CompareTo(min) < 0 || value.CompareTo(max) > 0)
        {
            errors.Add($"{Section}:{name} is {value}: it must be between {min} and {max}.");
        }
    }
}
