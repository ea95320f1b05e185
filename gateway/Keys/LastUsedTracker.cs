using System.Collections.Concurrent;
using Gateway.Store;

namespace Gateway.Keys;

/// <summary>
/// Last-used times, recorded in memory on the hot path and written to the store in one transaction
/// per flush: never a database write per request. Accurate to the flush interval.
/// </summary>
internal sealed class LastUsedTracker(IGatewayStore store)
{
    private readonly ConcurrentDictionary<KeyHash, long> _pending = new();

    public int PendingCount => _pending.Count;

    public void Touch(in KeyHash hash, DateTimeOffset now)
    {
        var millis = now.ToUnixTimeMilliseconds();
        // Skip the write when this second is already recorded: keeps the hot path read-only under load.
        if (_pending.TryGetValue(hash, out var seen) && millis - seen < 1000)
        {
            return;
        }

        _pending[hash] = millis;
    }

    /// <summary>Writes everything pending; on a store failure keeps it for the next flush.</summary>
    public int Flush()
    {
        if (_pending.IsEmpty)
        {
            return 0;
        }

        var batch = new Dictionary<KeyHash, DateTimeOffset>();
        foreach (var (hash, millis) in _pending)
        {
            if (_pending.TryRemove(new KeyValuePair<KeyHash, long>(hash, millis)))
            {
                batch[hash] = DateTimeOffset.FromUnixTimeMilliseconds(millis);
            }
        }

        try
        {
            store.UpdateLastUsed(batch);
            return batch.Count;
        }
        catch (StoreUnavailableException)
        {
            foreach (var (hash, at) in batch)
            {
                _pending.AddOrUpdate(hash, at.ToUnixTimeMilliseconds(), (_, existing) => Math.Max(existing, at.ToUnixTimeMilliseconds()));
            }

            throw;
        }
    }
}
