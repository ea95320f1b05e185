using System.Collections.Concurrent;

namespace Gateway.Keys;

/// <summary>
/// A bounded concurrent cache: new entries go to the current generation; when it is full it becomes
/// the previous one and the old previous one is dropped whole. Memory stays under two generations
/// however many distinct keys arrive, with no per-entry bookkeeping on the hot path.
/// </summary>
internal sealed class TwoGenerationCache<TKey, TValue>(int capacityPerGeneration) where TKey : notnull
{
    private readonly object _rotateGate = new();
    private volatile Generations _generations = new(new(), new());

    public int Count
    {
        get
        {
            var g = _generations;
            return g.Current.Count + g.Previous.Count;
        }
    }

    /// <summary>Finds an entry; <paramref name="fromPrevious"/> tells the caller it may want to re-add it.</summary>
    public bool TryGet(TKey key, out TValue value, out bool fromPrevious)
    {
        var g = _generations;
        fromPrevious = false;
        if (g.Current.TryGetValue(key, out value!))
        {
            return true;
        }

        fromPrevious = g.Previous.TryGetValue(key, out value!);
        return fromPrevious;
    }

    public void Set(TKey key, TValue value)
    {
        var g = _generations;
        g.Current[key] = value;
        if (g.Current.Count >= capacityPerGeneration)
        {
            lock (_rotateGate)
            {
                if (ReferenceEquals(_generations, g))
                {
                    _generations = new Generations(new(), g.Current);
                }
            }
        }
    }

    public void Remove(TKey key)
    {
        // Read the generations after a rotation could have happened, so both dictionaries that may hold it are covered.
        var g = _generations;
        g.Current.TryRemove(key, out _);
        g.Previous.TryRemove(key, out _);
        var after = _generations;
        if (!ReferenceEquals(g, after))
        {
            after.Current.TryRemove(key, out _);
            after.Previous.TryRemove(key, out _);
        }
    }

    /// <summary>Removes every entry matching <paramref name="predicate"/> (admin path only: a full scan).</summary>
    public void RemoveWhere(Func<TValue, bool> predicate)
    {
        var g = _generations;
        foreach (var dictionary in new[] { g.Current, g.Previous })
        {
            foreach (var (key, value) in dictionary)
            {
                if (predicate(value))
                {
                    dictionary.TryRemove(key, out _);
                }
            }
        }
    }

    /// <summary>Drops everything at once: fresh generations, so an entry set during the swap is the only survivor possible.</summary>
    public void Clear()
    {
        lock (_rotateGate)
        {
            _generations = new Generations(new(), new());
        }
    }

    private sealed record Generations(ConcurrentDictionary<TKey, TValue> Current, ConcurrentDictionary<TKey, TValue> Previous);
}
