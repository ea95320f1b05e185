namespace Gateway.Diagnostics;

/// <summary>
/// Lets through at most a fixed number of log events per second and counts the rest, so a flood of
/// bad credentials can neither fill the disk nor spend the CPU on log lines. Lock-free: one counter
/// per one-second window.
/// </summary>
internal sealed class LogRateLimiter(int perSecond, TimeProvider time)
{
    private long _window;
    private int _count;
    private int _suppressed;

    /// <summary>True when this event may be logged; <paramref name="suppressedBefore"/> is how many were dropped in the last window.</summary>
    public bool TryAcquire(out int suppressedBefore)
    {
        suppressedBefore = 0;
        var window = time.GetUtcNow().ToUnixTimeSeconds();
        var current = Interlocked.Read(ref _window);
        if (window != current && Interlocked.CompareExchange(ref _window, window, current) == current)
        {
            Interlocked.Exchange(ref _count, 0);
            suppressedBefore = Interlocked.Exchange(ref _suppressed, 0);
        }

        if (Interlocked.Increment(ref _count) <= perSecond)
        {
            return true;
        }

        Interlocked.Increment(ref _suppressed);
        return false;
    }
}
