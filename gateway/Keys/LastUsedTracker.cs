using System.Collections.Concurrent;
using Gateway.Store;

namespace Gateway.Keys;

/// <summary>
/// Last-used times, recorded in memory on the hot path and written to the store in one transaction
/// per flush: never a database write per request. The product promises last-used accurate to 60 s,
/// so a key whose stored time is younger than <see cref="Granularity"/> is not written again: under
/// steady load each key costs one write a minute, not one per flush.
/// </summary>
internal sealed class LastUsedTracker(IGatewayStore store, TimeSpan flushInterval, TimeProvider? time = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    public static readonly TimeSpan Accuracy = TimeSpan.FromSeconds(60);

    private readonly ConcurrentDictionary<KeyHash, long> _pending = new();
    private readonly ConcurrentDictionary<KeyHash, long> _written = new();
    private readonly long _granularityMs = (long)Math.Max(1000, (Accuracy - flushInterval).TotalMilliseconds);

    public LastUsedTracker(IGatewayStore store, Configuration.GatewayOptions options, TimeProvider time)
        : this(store, options.Store.LastUsedFlushInterval, time)
    {
    }

    public TimeSpan Granularity => TimeSpan.FromMilliseconds(_granularityMs);

    public int PendingCount => _pending.Count;

    public void Touch(in KeyHash hash, DateTimeOffset now)
    {
        var millis = now.ToUnixTimeMilliseconds();
        // Read-only on the hot path while the stored time is still accurate, or this second is queued.
        if ((_written.TryGetValue(hash, out var written) && millis - written < _granularityMs)
            || (_pending.TryGetValue(hash, out var seen) && millis - seen < 1000))
        {
            return;
        }

        _pending[hash] = millis;
    }

    /// <summary>Writes everything pending at once (shutdown); on a store failure keeps it for the next flush.</summary>
    public int Flush() => Flush(int.MaxValue);

    /// <summary>Writes up to <paramref name="limit"/> pending keys in one transaction; on a store failure keeps them.</summary>
    public int Flush(int limit)
    {
        if (_pending.IsEmpty)
        {
            PruneWritten();
            return 0;
        }

        var batch = new Dictionary<KeyHash, DateTimeOffset>();
        foreach (var (hash, millis) in _pending)
        {
            if (batch.Count >= limit)
            {
                break;
            }

            if (_pending.TryRemove(new KeyValuePair<KeyHash, long>(hash, millis)))
            {
                batch[hash] = DateTimeOffset.FromUnixTimeMilliseconds(millis);
            }
        }

        try
        {
            store.UpdateLastUsed(batch);
        }
        catch (StoreUnavailableException)
        {
            foreach (var (hash, at) in batch)
            {
                _pending.AddOrUpdate(hash, at.ToUnixTimeMilliseconds(), (_, existing) => Math.Max(existing, at.ToUnixTimeMilliseconds()));
            }

            throw;
        }

        foreach (var (hash, at) in batch)
        {
            _written[hash] = at.ToUnixTimeMilliseconds();
        }

        PruneWritten();
        return batch.Count;
    }

    // Entries older than the granularity no longer suppress anything: drop them so memory follows the active keys.
    private void PruneWritten()
    {
        var cutoff = _time.GetUtcNow().ToUnixTimeMilliseconds() - _granularityMs;
        foreach (var (hash, millis) in _written)
        {
            if (millis < cutoff)
            {
                _written.TryRemove(new KeyValuePair<KeyHash, long>(hash, millis));
            }
        }
    }
}
