using Gateway.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Gateway.Tests;

public sealed class LogRateLimiterTests
{
    [Fact]
    public void LetsThroughAFixedNumberPerSecond_AndReportsWhatItDropped()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
        var limiter = new LogRateLimiter(20, time);
        var allowed = Enumerable.Range(0, 25).Count(_ => limiter.TryAcquire(out _));
        Assert.Equal(20, allowed);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limiter.TryAcquire(out var suppressed));
        Assert.Equal(5, suppressed);
        Assert.True(limiter.TryAcquire(out var none));
        Assert.Equal(0, none);
    }
}
