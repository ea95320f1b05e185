using Gateway.RateLimiting;
using Xunit;

namespace Gateway.Tests.Routing;

/// <summary>A bucket's refill is the configured rate exactly: whole tokens per period, the period chosen for the rate.</summary>
public sealed class RateLimitBucketTests
{
    [Theory]
    [InlineData(0.001)]
    [InlineData(0.5)]
    [InlineData(2)]
    [InlineData(10)]
    [InlineData(15)]
    [InlineData(25)]
    [InlineData(99.9)]
    [InlineData(1_000_000)]
    public void TheRefill_IsTheConfiguredRate(double rate)
    {
        var options = RequestRateLimiter.Options(new RequestRateLimiter.Partition(0, RateClass.Default, "k", rate, 5));
        var actual = options.TokensPerPeriod / options.ReplenishmentPeriod.TotalSeconds;
        Assert.InRange(actual, rate * 0.999, rate * 1.001);
        Assert.False(options.AutoReplenishment); // one timer for all buckets, not one per bucket
        Assert.Equal(0, options.QueueLimit);
    }
}
