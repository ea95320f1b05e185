using Gateway.Keys;
using Gateway.Policy.Model;
using Gateway.Store;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Keys;

public sealed class LastUsedTrackerTests
{
    private sealed class RecordingStore : EmptyStore
    {
        public List<Dictionary<KeyHash, DateTimeOffset>> Writes { get; } = [];

        public override void UpdateLastUsed(IReadOnlyCollection<KeyValuePair<KeyHash, DateTimeOffset>> times) => Writes.Add(times.ToDictionary());
    }

    [Fact]
    public void AKeyIsRewrittenOnlyWhenItsStoredTimeIsNoLongerAccurate()
    {
        var store = new RecordingStore();
        var tracker = new LastUsedTracker(store, TimeSpan.FromSeconds(10));
        var key = KeyHash.Of("k");
        var t0 = DateTimeOffset.UtcNow;

        tracker.Touch(key, t0);
        Assert.Equal(1, tracker.Flush());
        Assert.Equal(t0.ToUnixTimeMilliseconds(), store.Writes[0][key].ToUnixTimeMilliseconds());

        // Within the granularity (60 s accuracy minus the 10 s flush interval): nothing to write.
        tracker.Touch(key, t0.AddSeconds(20));
        tracker.Touch(key, t0.AddSeconds(49));
        Assert.Equal(0, tracker.Flush());

        // Past it: written again, so the stored time is never more than 60 s behind.
        tracker.Touch(key, t0.AddSeconds(51));
        Assert.Equal(1, tracker.Flush());
        Assert.Equal(TimeSpan.FromSeconds(50), tracker.Granularity);
    }

    [Fact]
    public void ManyTouchesOfOneKeyInASecond_QueueOneWrite()
    {
        var store = new RecordingStore();
        var tracker = new LastUsedTracker(store, TimeSpan.FromSeconds(10));
        var t0 = DateTimeOffset.UtcNow;
        for (var i = 0; i < 1000; i++)
        {
            tracker.Touch(KeyHash.Of("a"), t0.AddMilliseconds(i % 900));
            tracker.Touch(KeyHash.Of("b"), t0);
        }

        Assert.Equal(2, tracker.PendingCount);
        Assert.Equal(2, tracker.Flush());
    }
}
