using Gateway.Policy.Model;

namespace Gateway.Keys;

/// <summary>
/// Known keys and known-missing hashes in front of the store. Both are bounded; the negative side is
/// separate so a flood of invalid keys cannot push valid ones out. Invalidation bumps an epoch before
/// removing: a lookup that read the store before an invalidation and caches after it sees the epoch
/// change and removes its own entry, so a revoked key is never re-cached by a racing request.
/// </summary>
internal sealed class ApiKeyCache(int capacity, int negativeCapacity)
{
    private readonly TwoGenerationCache<KeyHash, ApiKey> _known = new(Math.Max(16, capacity / 2));
    private readonly TwoGenerationCache<KeyHash, bool> _missing = new(Math.Max(16, negativeCapacity / 2));
    private long _epoch;

    public long Epoch => Interlocked.Read(ref _epoch);

    public int MissingCount => _missing.Count;

    public bool TryGet(in KeyHash hash, long epoch, out ApiKey? key)
    {
        if (_known.TryGet(hash, out var found, out var fromPrevious))
        {
            key = found;
            if (fromPrevious)
            {
                Add(hash, found, epoch);
            }

            return true;
        }

        key = null;
        return false;
    }

    public bool IsKnownMissing(in KeyHash hash) => _missing.TryGet(hash, out _, out _);

    public void Add(in KeyHash hash, ApiKey key, long epochBeforeRead)
    {
        _known.Set(hash, key);
        if (Epoch != epochBeforeRead)
        {
            _known.Remove(hash);
        }
    }

    public void AddMissing(in KeyHash hash, long epochBeforeRead)
    {
        _missing.Set(hash, true);
        if (Epoch != epochBeforeRead)
        {
            _missing.Remove(hash);
        }
    }

    public void Invalidate(in KeyHash hash)
    {
        Interlocked.Increment(ref _epoch);
        _known.Remove(hash);
        _missing.Remove(hash);
    }

    /// <summary>Forgets everything: another replica changed the directory in ways this one cannot enumerate.</summary>
    public void Clear()
    {
        Interlocked.Increment(ref _epoch);
        _known.Clear();
        _missing.Clear();
    }

    public void InvalidateOwner(string ownerId)
    {
        Interlocked.Increment(ref _epoch);
        _known.RemoveWhere(k => k.OwnerId == ownerId);
    }
}
