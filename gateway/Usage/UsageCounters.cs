using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Gateway.Store;

namespace Gateway.Usage;

/// <summary>
/// Requests per principal, key, UTC hour and outcome (<see cref="Allowed"/> or the refusal's code),
/// counted in memory and added to the store in batches (<see cref="Flush"/>, on the last-used flush
/// thread and before every read), so the request path never waits on the store. Daily quotas read the
/// same counts: what the store held at the last flush (every replica's, on PostgreSQL) plus what this
/// replica counted since. Between two flushes each replica sees only its own new requests: a quota
/// may be overshot by at most what the other replicas allow in one flush interval.
/// </summary>
internal sealed class UsageCounters(IGatewayStore store, TimeProvider time)
{
    public const string Allowed = "allowed";

    private readonly Lock _flushing = new();

    // Counters are never swapped out (a request could add to one after a flush took it): each keeps its
    // total and what of it the store already has; a flush writes the difference.
    private readonly ConcurrentDictionary<Counter, Count> _counts = new();

    private sealed class Count
    {
        public long Value;

        /// <summary>What the store has been given of <see cref="Value"/> (written under the flush lock only).</summary>
        public long Flushed;
    }
    private Totals _totals = Totals.Empty;

    private readonly record struct Counter(long Hour, string PrincipalId, string KeyId, string Outcome);

    /// <summary>Today's allowed requests per key and per principal: from the store, and counted here since (local, and in flight during a flush).</summary>
    private sealed record Totals(long DayStart, Dictionary<string, long> Keys, Dictionary<string, long> Principals,
        ConcurrentDictionary<string, StrongBox<long>> LocalKeys, ConcurrentDictionary<string, StrongBox<long>> LocalPrincipals,
        ConcurrentDictionary<string, StrongBox<long>>? FlushingKeys, ConcurrentDictionary<string, StrongBox<long>>? FlushingPrincipals)
    {
        public static readonly Totals Empty = new(0, [], [], new(), new(), null, null);
    }

    /// <summary>Counts one request; for an allowed one, also toward today's quotas.</summary>
    public void Record(string principalId, string? keyId, string outcome)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var hour = now - (now % 3_600_000);
        Interlocked.Increment(ref _counts.GetOrAdd(new Counter(hour, principalId, keyId ?? "", outcome), static _ => new Count()).Value);
        if (ReferenceEquals(outcome, Allowed))
        {
            var totals = _totals;
            if (totals.DayStart == now - (now % 86_400_000))
            {
                if (keyId is not null)
                {
                    Interlocked.Increment(ref totals.LocalKeys.GetOrAdd(keyId, static _ => new StrongBox<long>()).Value);
                }

                Interlocked.Increment(ref totals.LocalPrincipals.GetOrAdd(principalId, static _ => new StrongBox<long>()).Value);
            }
        }
    }

    /// <summary>Allowed requests today of <paramref name="keyId"/> (or, when null, of the principal), across replicas as of the last flush.</summary>
    public long Today(string principalId, string? keyId)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var totals = _totals;
        if (totals.DayStart != now - (now % 86_400_000))
        {
            LoadDay(now);
            totals = _totals;
        }

        return keyId is not null
            ? totals.Keys.GetValueOrDefault(keyId) + Local(totals.LocalKeys, keyId) + Local(totals.FlushingKeys, keyId)
            : totals.Principals.GetValueOrDefault(principalId) + Local(totals.LocalPrincipals, principalId) + Local(totals.FlushingPrincipals, principalId);
    }

    private long _failedAt = long.MinValue / 2;

    // A new day (or none loaded yet): loaded once, by the first request that needs it; the others wait
    // for it and find it done. After a failure the store is not asked again for 5 s: requests fail
    // closed at once (StoreUnavailableException, answered 503) instead of each waiting on a timeout.
    private void LoadDay(long now)
    {
        if (now - Interlocked.Read(ref _failedAt) < 5_000)
        {
            throw new StoreUnavailableException("Today's request counts could not be loaded a moment ago; retrying shortly.");
        }

        lock (_flushing)
        {
            if (_totals.DayStart == now - (now % 86_400_000))
            {
                return;
            }

            try
            {
                Flush();
            }
            catch (StoreUnavailableException)
            {
                Interlocked.Exchange(ref _failedAt, now);
                throw;
            }
        }
    }

    private static long Local(ConcurrentDictionary<string, StrongBox<long>>? counts, string id)
        => counts is not null && counts.TryGetValue(id, out var box) ? Interlocked.Read(ref box.Value) : 0;

    private long _purgedAt;

    /// <summary>Deletes counts older than <paramref name="retentionDays"/>, at most once an hour; the number of rows deleted.</summary>
    public int PurgeIfDue(int retentionDays)
    {
        var now = time.GetUtcNow();
        if (now.ToUnixTimeMilliseconds() - Interlocked.Read(ref _purgedAt) < 3_600_000)
        {
            return 0;
        }

        Interlocked.Exchange(ref _purgedAt, now.ToUnixTimeMilliseconds());
        return store.PurgeUsage(now.AddDays(-retentionDays));
    }

    /// <summary>
    /// Adds what was counted to the store and reloads today's totals. Safe to call from any thread; one
    /// flush at a time. Throws <see cref="StoreUnavailableException"/> when the store cannot take them or
    /// cannot answer: the counts are then kept (for the next flush, and toward quotas meanwhile) and the
    /// day's totals stay as they were, never emptied.
    /// </summary>
    public int Flush()
    {
        lock (_flushing)
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var dayStart = now - (now % 86_400_000);
            var taken = new List<(Count Count, long Value)>();
            var rows = new List<UsageCount>();
            foreach (var (key, count) in _counts)
            {
                var value = Interlocked.Read(ref count.Value);
                if (value > count.Flushed)
                {
                    taken.Add((count, value));
                    rows.Add(new UsageCount(DateTimeOffset.FromUnixTimeMilliseconds(key.Hour), key.PrincipalId, key.KeyId, key.Outcome, value - count.Flushed));
                }
                else if (key.Hour < now - 2 * 3_600_000)
                {
                    // An hour long past, all written: dropped (a request that still adds to it is counted again as new).
                    _counts.TryRemove(key, out _);
                }
            }

            // Counted here and now being written: still counted toward quotas until the reload includes them.
            var old = _totals;
            _totals = old with { FlushingKeys = old.LocalKeys, FlushingPrincipals = old.LocalPrincipals, LocalKeys = new(), LocalPrincipals = new() };
            try
            {
                store.AddUsage(rows);
            }
            catch
            {
                // Nothing marked written: the next flush writes the same counts again, with what came since.
                KeepFlushingAsLocal();
                throw;
            }

            foreach (var (count, value) in taken)
            {
                count.Flushed = value;
            }

            Dictionary<string, long> keys;
            Dictionary<string, long> principals;
            try
            {
                (keys, principals) = LoadTotals(dayStart);
            }
            catch
            {
                // Written, but the stored totals are the old ones: what was flushed still counts here.
                KeepFlushingAsLocal();
                throw;
            }

            // Local counts are kept only toward the day they were counted in (Record counts none for a day not loaded).
            var latest = _totals;
            _totals = new Totals(dayStart, keys, principals, latest.LocalKeys, latest.LocalPrincipals, null, null);
            return rows.Count;
        }
    }

    private (Dictionary<string, long> Keys, Dictionary<string, long> Principals) LoadTotals(long dayStart)
    {
        var keys = new Dictionary<string, long>(StringComparer.Ordinal);
        var principals = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var count in store.AllowedSince(DateTimeOffset.FromUnixTimeMilliseconds(dayStart)))
        {
            if (count.KeyId.Length > 0)
            {
                keys[count.KeyId] = keys.GetValueOrDefault(count.KeyId) + count.Count;
            }

            principals[count.PrincipalId] = principals.GetValueOrDefault(count.PrincipalId) + count.Count;
        }

        return (keys, principals);
    }

    // A failed flush: the counts being written go back to the local ones, and the totals keep their day.
    private void KeepFlushingAsLocal()
    {
        var current = _totals;
        Merge(current.FlushingKeys, current.LocalKeys);
        Merge(current.FlushingPrincipals, current.LocalPrincipals);
        _totals = current with { FlushingKeys = null, FlushingPrincipals = null };

        static void Merge(ConcurrentDictionary<string, StrongBox<long>>? from, ConcurrentDictionary<string, StrongBox<long>> into)
        {
            foreach (var (id, box) in from ?? [])
            {
                Interlocked.Add(ref into.GetOrAdd(id, static _ => new StrongBox<long>()).Value, Interlocked.Read(ref box.Value));
            }
        }
    }
}
