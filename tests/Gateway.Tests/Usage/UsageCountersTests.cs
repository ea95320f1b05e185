using Gateway.Keys;
using Gateway.Policy.Model;
using Gateway.Store;
using Gateway.Usage;
using Microsoft.Extensions.Time.Testing;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Usage;

/// <summary>
/// The usage counters against a store that sums what it is given (as PostgreSQL's upsert does) and can
/// fail: counts are never lost by a failed flush, a quota's day counts what the store holds and what
/// was counted since, and a store that cannot load the day is not asked again for every request.
/// </summary>
public sealed class UsageCountersTests
{
    private sealed class SummingStore : EmptyStore
    {
        public Dictionary<(long, string, string, string), long> Rows { get; } = [];

        public bool Down { get; set; }

        public int Calls { get; private set; }

        public override void AddUsage(IReadOnlyCollection<UsageCount> counts)
        {
            Calls++;
            if (Down)
            {
                throw new StoreUnavailableException("down");
            }

            foreach (var c in counts)
            {
                var key = (c.Hour.ToUnixTimeMilliseconds(), c.PrincipalId, c.KeyId, c.Outcome);
                Rows[key] = Rows.GetValueOrDefault(key) + c.Count;
            }
        }

        public override IReadOnlyList<UsageCount> AllowedSince(DateTimeOffset since)
        {
            Calls++;
            return Down ? throw new StoreUnavailableException("down")
                : [.. Rows.Where(r => r.Key.Item4 == UsageCounters.Allowed && r.Key.Item1 >= since.ToUnixTimeMilliseconds())
                    .Select(r => new UsageCount(DateTimeOffset.FromUnixTimeMilliseconds(r.Key.Item1), r.Key.Item2, r.Key.Item3, r.Key.Item4, r.Value))];
        }
    }

    private static readonly DateTimeOffset Noon = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Counts_AreAddedToTheStore_AndAFailedFlushLosesNone()
    {
        var store = new SummingStore();
        var time = new FakeTimeProvider(Noon);
        var usage = new UsageCounters(store, time);
        for (var i = 0; i < 3; i++)
        {
            usage.Record("p1", "k1", UsageCounters.Allowed);
        }

        usage.Record("p1", "k1", "not_a_member");
        store.Down = true;
        Assert.Throws<StoreUnavailableException>(() => usage.Flush());
        usage.Record("p1", "k1", UsageCounters.Allowed);
        store.Down = false;
        usage.Flush();
        var hour = Noon.ToUnixTimeMilliseconds();
        Assert.Equal(4, store.Rows[(hour, "p1", "k1", UsageCounters.Allowed)]);
        Assert.Equal(1, store.Rows[(hour, "p1", "k1", "not_a_member")]);
        usage.Flush(); // nothing new: nothing added twice
        Assert.Equal(4, store.Rows[(hour, "p1", "k1", UsageCounters.Allowed)]);
    }

    [Fact]
    public void TodaysCount_IsTheStoresPlusWhatWasCountedSince_AndStartsAgainAtMidnightUtc()
    {
        var store = new SummingStore();
        var time = new FakeTimeProvider(Noon);
        var usage = new UsageCounters(store, time);
        // Another replica's requests, already in the store.
        store.AddUsage([new UsageCount(Noon.AddHours(-1), "p1", "k1", UsageCounters.Allowed, 10)]);
        Assert.Equal(10, usage.Today("p1", "k1"));
        usage.Record("p1", "k1", UsageCounters.Allowed);
        usage.Record("p1", "k2", UsageCounters.Allowed);
        usage.Record("p1", "k1", "rate_limited");
        Assert.Equal(11, usage.Today("p1", "k1"));
        Assert.Equal(12, usage.Today("p1", null));
        usage.Flush();
        Assert.Equal(11, usage.Today("p1", "k1"));
        time.Advance(TimeSpan.FromHours(12));
        Assert.Equal(0, usage.Today("p1", "k1"));
    }

    [Fact]
    public void TodaysCount_SurvivesFailedFlushes_AndFailedReloads()
    {
        var store = new SummingStore();
        var time = new FakeTimeProvider(Noon);
        var usage = new UsageCounters(store, time);
        Assert.Equal(0, usage.Today("p1", "k1"));
        for (var i = 0; i < 5; i++)
        {
            usage.Record("p1", "k1", UsageCounters.Allowed);
        }

        store.Down = true;
        Assert.Throws<StoreUnavailableException>(() => usage.Flush());
        Assert.Throws<StoreUnavailableException>(() => usage.Flush());
        Assert.Equal(5, usage.Today("p1", "k1"));
        usage.Record("p1", "k1", UsageCounters.Allowed);
        store.Down = false;
        usage.Flush(reload: false); // written, not reloaded: still counted once
        Assert.Equal(6, usage.Today("p1", "k1"));
        usage.Flush();
        Assert.Equal(6, usage.Today("p1", "k1"));
        usage.Unrecord("p1", "k1");
        Assert.Equal(5, usage.Today("p1", "k1"));
    }

    [Fact]
    public void ADayThatCannotBeLoaded_FailsClosed_WithoutAskingTheStoreForEveryRequest()
    {
        var store = new SummingStore { Down = true };
        var time = new FakeTimeProvider(Noon);
        var usage = new UsageCounters(store, time);
        Assert.Throws<StoreUnavailableException>(() => usage.Today("p1", "k1"));
        var calls = store.Calls;
        for (var i = 0; i < 100; i++)
        {
            Assert.Throws<StoreUnavailableException>(() => usage.Today("p1", "k1"));
        }

        Assert.Equal(calls, store.Calls);
        store.Down = false;
        time.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(0, usage.Today("p1", "k1"));
    }

    [Fact]
    public void ConcurrentRequests_DuringFlushes_AreAllCounted()
    {
        var store = new SummingStore();
        var time = new FakeTimeProvider(Noon);
        var usage = new UsageCounters(store, time);
        const int Threads = 4, PerThread = 50_000;
        var workers = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            for (var i = 0; i < PerThread; i++)
            {
                usage.Record("p" + (i % 3), "k" + (i % 7), UsageCounters.Allowed);
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        while (workers.Any(w => w.IsAlive))
        {
            usage.Flush();
        }

        workers.ForEach(w => w.Join());
        usage.Flush();
        usage.Flush(); // late additions to a swapped-out counter are taken by the flush after
        Assert.Equal(Threads * PerThread, store.Rows.Values.Sum());
    }
}
