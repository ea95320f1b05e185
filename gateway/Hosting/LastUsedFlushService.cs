using Gateway.Configuration;
using Gateway.Diagnostics;
using Gateway.Keys;
using Gateway.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Hosting;

/// <summary>
/// Writes last-used times every <c>Gateway:Store:LastUsedFlushInterval</c> on a thread of its own,
/// and once more after the server has drained at shutdown, then closes the store (releasing its lock
/// file). The store's writes block (LiteDB commits synchronously and fsyncs): on a thread-pool thread
/// they would hold up request processing on a small machine until the pool grew, which showed as
/// 30-400 ms tail latencies under load.
/// </summary>
internal sealed partial class LastUsedFlushService(
    LastUsedTracker tracker,
    Usage.UsageCounters usage,
    IGatewayStore store,
    GatewayOptions options,
    Metrics.GatewayMetrics metrics,
    IHostApplicationLifetime lifetime,
    ILogger<LastUsedFlushService> logger) : IHostedService
{
    private const int Chunk = 500;
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(20);
    private readonly CancellationTokenSource _stopping = new();
    private Thread? _thread;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // ApplicationStopped fires after Kestrel has drained in-flight requests: the last touches are in.
        lifetime.ApplicationStopped.Register(() =>
        {
            _thread?.Join(TimeSpan.FromSeconds(10));
            FlushAll();
            store.Dispose();
        });
        _thread = new Thread(Run) { IsBackground = true, Name = "gateway-last-used-flush" };
        _thread.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        return Task.CompletedTask;
    }

    private void Run()
    {
        var token = _stopping.Token;
        while (!token.WaitHandle.WaitOne(options.Store.LastUsedFlushInterval))
        {
            try
            {
                var total = 0;
                int written;
                // In chunks, pausing between them, so a large flush does not hog the store or a core.
                while ((written = tracker.Flush(Chunk)) > 0)
                {
                    total += written;
                    if (written < Chunk || token.WaitHandle.WaitOne(Pause))
                    {
                        break;
                    }
                }

                if (total > 0)
                {
                    Log.Flushed(logger, total);
                }

                metrics.LastUsedFlush(succeeded: true, tracker.PendingCount, DateTimeOffset.UtcNow);
                FlushUsage(purge: true);
            }
            catch (StoreUnavailableException ex)
            {
                Log.FlushFailed(logger, ex);
                metrics.LastUsedFlush(succeeded: false, tracker.PendingCount, DateTimeOffset.UtcNow);
            }
        }
    }

    private void FlushAll()
    {
        try
        {
            var count = tracker.Flush();
            if (count > 0)
            {
                Log.Flushed(logger, count);
            }
        }
        catch (StoreUnavailableException ex)
        {
            Log.FlushFailed(logger, ex);
        }

        FlushUsage(purge: false);
    }

    // Request counts ride on the same thread: batched, never on the request path.
    private void FlushUsage(bool purge)
    {
        try
        {
            usage.Flush();
            if (purge && usage.PurgeIfDue(options.Usage.RetentionDays) is > 0 and var purged)
            {
                Log.UsagePurged(logger, purged, options.Usage.RetentionDays);
            }
        }
        catch (StoreUnavailableException ex)
        {
            Log.UsageFlushFailed(logger, ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.LastUsedFlushed, EventName = "LastUsedFlushed", Level = LogLevel.Debug, Message = "Recorded last-used times of {Count} keys.")]
        public static partial void Flushed(ILogger logger, int count);

        [LoggerMessage(EventId = EventIds.LastUsedFlushFailed, EventName = "LastUsedFlushFailed", Level = LogLevel.Warning, Message = "Could not record last-used times; they are kept for the next flush.")]
        public static partial void FlushFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = EventIds.UsageFlushFailed, EventName = "UsageFlushFailed", Level = LogLevel.Warning, Message = "Could not record request counts; they are kept for the next flush.")]
        public static partial void UsageFlushFailed(ILogger logger, Exception exception);

        [LoggerMessage(EventId = EventIds.UsagePurged, EventName = "UsagePurged", Level = LogLevel.Information, Message = "Deleted {Count} hourly request counts older than {Days} days.")]
        public static partial void UsagePurged(ILogger logger, int count, int days);
    }
}
