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
    private ConcurrentDictionary<Counter, StrongBox<long>> _pending = new();
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
        var counter = _pending.GetOrAdd(new Counter(hour, principalId, keyId ?? "", outcome), static _ => new StrongBox<long>());
        Interlocked.Increment(ref counter.Value);
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
            // A new day (or none loaded yet): load it, once, on this request.
            Flush();
            totals = _totals;
        }

        return keyId is not null
            ? totals.Keys.GetValueOrDefault(keyId) + Local(totals.LocalKeys, keyId) + Local(totals.FlushingKeys, keyId)
            : totals.Principals.GetValueOrDefault(principalId) + Local(totals.LocalPrincipals, principalId) + Local(totals.FlushingPrincipals, principalId);
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
    /// flush at a time. Throws <see cref="StoreUnavailableException"/> when the store cannot take them
    /// (the counts are then kept for the next flush).
    /// </summary>
    public int Flush()
    {
        lock (_flushing)
        {
            var now = time.GetUtcNow().ToUnixTimeMilliseconds();
            var pending = Interlocked.Exchange(ref _pending, new ConcurrentDictionary<Counter, StrongBox<long>>());
            var rows = pending.Select(p => new UsageCount(DateTimeOffset.FromUnixTimeMilliseconds(p.Key.Hour), p.Key.PrincipalId, p.Key.KeyId, p.Key.Outcome,
                Interlocked.Read(ref p.Value.Value))).Where(r => r.Count > 0).ToList();
            // Counted locally and now being written: still counted toward quotas until the reload includes them.
            var old = _totals;
            var dayStart = now - (now % 86_400_000);
            var flushing = old with { FlushingKeys = old.LocalKeys, FlushingPrincipals = old.LocalPrincipals, LocalKeys = new(), LocalPrincipals = new() };
            _totals = old.DayStart == dayStart ? flushing : Totals.Empty with { DayStart = dayStart, LocalKeys = new(), LocalPrincipals = new() };
            try
            {
                store.AddUsage(rows);
            }
            catch
            {
                // Kept for the next flush: put the counts back.
                foreach (var row in rows)
                {
                    var counter = _pending.GetOrAdd(new Counter(row.Hour.ToUnixTimeMilliseconds(), row.PrincipalId, row.KeyId, row.Outcome), static _ => new StrongBox<long>());
                    Interlocked.Add(ref counter.Value, row.Count);
                }

                throw;
            }

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

            var current = _totals;
            _totals = new Totals(dayStart, keys, principals, current.LocalKeys, current.LocalPrincipals, null, null);
            return rows.Count;
        }
    }
}
