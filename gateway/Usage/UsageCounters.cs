using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Gateway.Store;

namespace Gateway.Usage;

/// <summary>
/// Requests per principal, key, UTC hour and outcome (<see cref="Allowed"/> or the refusal's code),
/// counted in memory and added to the store in batches (<see cref="Flush(bool)"/>, on the last-used
/// flush thread and before every report), so the request path never waits on the store.
/// <para>
/// Daily quotas read the same counts as two parts: this replica's own allowed requests of the day,
/// counted here (exact, atomic), and the other replicas' as of the last reload (what the store holds
/// minus what this replica wrote to it). On one replica a quota is exact; on several, each sees the
/// others' requests at its next flush, so a quota may be overshot by what the others allow in one
/// flush interval.
/// </para>
/// </summary>
internal sealed class UsageCounters(IGatewayStore store, TimeProvider time)
{
    public const string Allowed = "allowed";

    private const long Hour = 3_600_000;
    private const long Day = 86_400_000;

    private readonly Lock _flushing = new();

    // Counters are never swapped out (a request could add to one after a flush took it): each keeps its
    // total and what of it the store already has; a flush writes the difference.
    private readonly ConcurrentDictionary<Counter, Count> _counts = new();

    // This replica's allowed requests per UTC day (at most today's and yesterday's are kept).
    private readonly ConcurrentDictionary<long, Own> _own = new();

    private OtherReplicas _others = new(-1, [], []);
    private long _failedAt = long.MinValue / 2;
    private long _purgedAt;

    private readonly record struct Counter(long Hour, string PrincipalId, string KeyId, string Outcome);

    private sealed class Count
    {
        public long Value;

        /// <summary>What the store has been given of <see cref="Value"/> (written under the flush lock only).</summary>
        public long Flushed;
    }

    /// <summary>One day's allowed requests of this replica: counted per request, and what of them was written (under the flush lock).</summary>
    private sealed class Own
    {
        public readonly ConcurrentDictionary<string, StrongBox<long>> Keys = new(StringComparer.Ordinal);
        public readonly ConcurrentDictionary<string, StrongBox<long>> Principals = new(StringComparer.Ordinal);
        public readonly Dictionary<string, long> FlushedKeys = new(StringComparer.Ordinal);
        public readonly Dictionary<string, long> FlushedPrincipals = new(StringComparer.Ordinal);
    }

    /// <summary>The other replicas' allowed requests of one day, as of the last reload.</summary>
    private sealed record OtherReplicas(long DayStart, Dictionary<string, long> Keys, Dictionary<string, long> Principals);

    /// <summary>Counts one request (an allowed one also toward today's quotas).</summary>
    public void Record(string principalId, string? keyId, string outcome)
    {
        if (ReferenceEquals(outcome, Allowed))
        {
            RecordAllowed(principalId, keyId);
            return;
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        Interlocked.Increment(ref _counts.GetOrAdd(new Counter(now - (now % Hour), principalId, keyId ?? "", outcome), static _ => new Count()).Value);
    }

    /// <summary>
    /// Counts one allowed request; returns this replica's allowed requests of the day after it, for the
    /// key (0 without one) and the principal: the request's own place in the day, which a quota compares
    /// (each concurrent request gets a place of its own, so exactly a quota's worth pass).
    /// </summary>
    public (long Key, long Principal) RecordAllowed(string principalId, string? keyId)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        Interlocked.Increment(ref _counts.GetOrAdd(new Counter(now - (now % Hour), principalId, keyId ?? "", Allowed), static _ => new Count()).Value);
        var own = _own.GetOrAdd(now - (now % Day), static _ => new Own());
        var key = keyId is null ? 0 : Interlocked.Increment(ref own.Keys.GetOrAdd(keyId, static _ => new StrongBox<long>()).Value);
        return (key, Interlocked.Increment(ref own.Principals.GetOrAdd(principalId, static _ => new StrongBox<long>()).Value));
    }

    /// <summary>
    /// Takes back an allowed request just counted (a daily quota refused it after all): counted first and
    /// checked after, so concurrent requests cannot all take a quota's last slot.
    /// </summary>
    public void Unrecord(string principalId, string? keyId)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        if (_counts.TryGetValue(new Counter(now - (now % Hour), principalId, keyId ?? "", Allowed), out var count))
        {
            Interlocked.Decrement(ref count.Value);
        }

        if (_own.TryGetValue(now - (now % Day), out var own))
        {
            if (keyId is not null && own.Keys.TryGetValue(keyId, out var key))
            {
                Interlocked.Decrement(ref key.Value);
            }

            if (own.Principals.TryGetValue(principalId, out var principal))
            {
                Interlocked.Decrement(ref principal.Value);
            }
        }
    }

    /// <summary>The other replicas' allowed requests today of the key (or, when null, of the principal), as of the last reload; loads the day when needed.</summary>
    public long Others(string principalId, string? keyId)
    {
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var others = _others;
        if (others.DayStart != now - (now % Day))
        {
            LoadDay(now);
            others = _others;
        }

        return keyId is not null ? others.Keys.GetValueOrDefault(keyId) : others.Principals.GetValueOrDefault(principalId);
    }

    /// <summary>Allowed requests today of <paramref name="keyId"/> (or, when null, of the principal): this replica's now, the others' as of the last reload.</summary>
    public long Today(string principalId, string? keyId)
    {
        var others = Others(principalId, keyId);
        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var own = _own.GetValueOrDefault(now - (now % Day));
        return others + (keyId is not null ? Read(own?.Keys, keyId) : Read(own?.Principals, principalId));
    }

    private static long Read(ConcurrentDictionary<string, StrongBox<long>>? counts, string id)
        => counts is not null && counts.TryGetValue(id, out var box) ? Interlocked.Read(ref box.Value) : 0;

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
            if (_others.DayStart == now - (now % Day))
            {
                return;
            }

            try
            {
                Flush(reload: true);
            }
            catch (StoreUnavailableException)
            {
                Interlocked.Exchange(ref _failedAt, now);
                throw;
            }
        }
    }

    /// <summary>Deletes counts older than <paramref name="retentionDays"/>, at most once an hour; the number of rows deleted.</summary>
    public int PurgeIfDue(int retentionDays)
    {
        var now = time.GetUtcNow();
        if (now.ToUnixTimeMilliseconds() - Interlocked.Read(ref _purgedAt) < Hour)
        {
            return 0;
        }

        Interlocked.Exchange(ref _purgedAt, now.ToUnixTimeMilliseconds());
        return store.PurgeUsage(now.AddDays(-retentionDays));
    }

    /// <summary>Writes what was counted and reloads the other replicas' counts of today.</summary>
    public int Flush() => Flush(reload: true);

    /// <summary>
    /// Writes what was counted since the last flush; with <paramref name="reload"/>, also reloads the
    /// other replicas' counts of today (a report's flush does not: no scan of the day's rows). One flush at
    /// a time. Throws <see cref="StoreUnavailableException"/> when the store cannot take the counts or
    /// cannot answer: nothing is lost (the next flush writes the same differences), and the quotas keep
    /// the others' counts they had (never emptied).
    /// </summary>
    public int Flush(bool reload)
    {
        lock (_flushing)
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var today = now - (now % Day);
            var taken = new List<(Count Count, long Value)>();
            var rows = new List<UsageCount>();
            foreach (var (key, count) in _counts)
            {
                var value = Interlocked.Read(ref count.Value);
                if (value != count.Flushed)
                {
                    taken.Add((count, value));
                    rows.Add(new UsageCount(DateTimeOffset.FromUnixTimeMilliseconds(key.Hour), key.PrincipalId, key.KeyId, key.Outcome, value - count.Flushed));
                }
                else if (key.Hour < now - 2 * Hour)
                {
                    // An hour long past, all written: dropped (a request that still adds to it is counted again as new).
                    _counts.TryRemove(key, out _);
                }
            }

            store.AddUsage(rows);
            foreach (var (count, value) in taken)
            {
                count.Flushed = value;
            }

            // What this replica has now written of each day's allowed requests: subtracted from the store's
            // totals at a reload, so the others' requests are what remains.
            foreach (var row in rows)
            {
                if (row.Outcome == Allowed && _own.TryGetValue(row.Hour.ToUnixTimeMilliseconds() - (row.Hour.ToUnixTimeMilliseconds() % Day), out var own))
                {
                    if (row.KeyId.Length > 0)
                    {
                        own.FlushedKeys[row.KeyId] = own.FlushedKeys.GetValueOrDefault(row.KeyId) + row.Count;
                    }

                    own.FlushedPrincipals[row.PrincipalId] = own.FlushedPrincipals.GetValueOrDefault(row.PrincipalId) + row.Count;
                }
            }

            foreach (var day in _own.Keys.Where(d => d < today - Day))
            {
                _own.TryRemove(day, out _);
            }

            if (reload)
            {
                var mine = _own.GetOrAdd(today, static _ => new Own());
                var keys = new Dictionary<string, long>(StringComparer.Ordinal);
                var principals = new Dictionary<string, long>(StringComparer.Ordinal);
                foreach (var count in store.AllowedSince(DateTimeOffset.FromUnixTimeMilliseconds(today)))
                {
                    if (count.KeyId.Length > 0)
                    {
                        keys[count.KeyId] = keys.GetValueOrDefault(count.KeyId) + count.Count;
                    }

                    principals[count.PrincipalId] = principals.GetValueOrDefault(count.PrincipalId) + count.Count;
                }

                _others = new OtherReplicas(today, Subtract(keys, mine.FlushedKeys), Subtract(principals, mine.FlushedPrincipals));
            }

            return rows.Count;
        }
    }

    private static Dictionary<string, long> Subtract(Dictionary<string, long> stored, Dictionary<string, long> written)
    {
        foreach (var (id, count) in written)
        {
            stored[id] = stored.GetValueOrDefault(id) - count;
        }

        return stored;
    }
}
