namespace Gateway.Abuse;

/// <summary>
/// Failure counts per key (a client address, a key id) in fixed windows, in a fixed array of slots:
/// memory is the same for ten keys or ten million, and counting allocates nothing. Keys that share a
/// slot share a count, which can only make the limit stricter for them, never lift it.
/// </summary>
internal sealed class FailureWindowTable(int slots)
{
    // Each slot packs (window number << 24) | count, updated with compare-and-swap.
    private readonly long[] _slots = new long[slots];

    public int Count(int hash, long window)
    {
        var packed = Volatile.Read(ref _slots[Index(hash)]);
        return packed >> 24 == window ? (int)(packed & 0xFFFFFF) : 0;
    }

    public int Increment(int hash, long window)
    {
        ref var slot = ref _slots[Index(hash)];
        while (true)
        {
            var packed = Volatile.Read(ref slot);
            var count = packed >> 24 == window ? (int)(packed & 0xFFFFFF) : 0;
            var next = count < 0xFFFFFF ? count + 1 : count;
            if (Interlocked.CompareExchange(ref slot, (window << 24) | (long)next, packed) == packed)
            {
                return next;
            }
        }
    }

    private int Index(int hash) => (int)((uint)hash % (uint)_slots.Length);
}
