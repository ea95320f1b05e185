namespace Gateway.Store;

/// <summary>
/// How long ago this replica last proved its snapshot current against a shared store. A replica that
/// cannot reach the database keeps answering from what it has for at most the configured staleness,
/// then refuses what it cannot prove (503 store_unavailable), never a 401. The embedded store is the
/// process's own: never stale.
/// </summary>
internal sealed class StoreFreshness(TimeProvider time)
{
    private long _confirmed;
    private long _maxStalenessTicks = long.MaxValue;

    public bool Tracked { get; private set; }

    public void Track(TimeSpan maxStaleness)
    {
        Confirm();
        _maxStalenessTicks = (long)(maxStaleness.TotalSeconds * time.TimestampFrequency);
        Tracked = true;
    }

    public void Confirm() => Volatile.Write(ref _confirmed, time.GetTimestamp());

    public TimeSpan SinceConfirmed => Tracked ? time.GetElapsedTime(Volatile.Read(ref _confirmed)) : TimeSpan.Zero;

    public bool IsStale => Tracked && time.GetTimestamp() - Volatile.Read(ref _confirmed) > _maxStalenessTicks;
}
