using System.Net;
using System.Net.Sockets;
using Gateway.Configuration;

namespace Gateway.Abuse;

/// <summary>
/// Limits failed authentications per client address (IPv6 by its /64, which one client controls
/// whole) and per presented key id, in fixed one-minute windows, and across all clients per second
/// (a flood from many addresses). Over a limit, a request is answered from the caches only: a cached
/// valid key is still served, everything else is 429 before any store lookup or signature check, so
/// a flood of distinct invalid keys never becomes a store query each.
/// </summary>
internal sealed class FailedAuthenticationLimiter(LimitsOptions options, TimeProvider time)
{
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly FailureWindowTable _addresses = new(options.FailureTableSlots);
    private readonly FailureWindowTable _keyIds = new(options.FailureTableSlots);
    private readonly FailureWindowTable _all = new(1);

    public int PerAddress => options.FailedAuthenticationsPerAddress;

    public int PerKeyId => options.FailedAuthenticationsPerKeyId;

    public bool IsLimited(IPAddress? address, ReadOnlySpan<char> keyId)
    {
        var (seconds, window) = Now();
        return _all.Count(0, seconds) >= options.FailedAuthenticationsPerSecond
            || (address is not null && _addresses.Count(HashOf(address), window) >= options.FailedAuthenticationsPerAddress)
            || (!keyId.IsEmpty && _keyIds.Count(string.GetHashCode(keyId), window) >= options.FailedAuthenticationsPerKeyId);
    }

    public void RecordFailure(IPAddress? address, ReadOnlySpan<char> keyId)
    {
        var (seconds, window) = Now();
        _all.Increment(0, seconds);
        if (address is not null)
        {
            _addresses.Increment(HashOf(address), window);
        }

        if (!keyId.IsEmpty)
        {
            _keyIds.Increment(string.GetHashCode(keyId), window);
        }
    }

    /// <summary>Seconds until the current window ends (for Retry-After and RateLimit-Reset).</summary>
    public int SecondsUntilReset()
    {
        var seconds = time.GetUtcNow().ToUnixTimeSeconds();
        var length = (long)Window.TotalSeconds;
        return (int)(length - seconds % length);
    }

    // One clock read for both the per-second and the per-minute window (every authenticated request passes here).
    private (long Seconds, long Window) Now()
    {
        var seconds = time.GetUtcNow().ToUnixTimeSeconds();
        return (seconds, seconds / (long)Window.TotalSeconds);
    }

    private static int HashOf(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.GetHashCode();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        return HashCode.Combine(BitConverter.ToInt64(bytes[..8]));
    }
}
