using Gateway.Configuration;
using Gateway.Diagnostics;
using Gateway.Keys;
using Gateway.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.Hosting;

/// <summary>
/// Writes last-used times every <c>Gateway:Store:LastUsedFlushInterval</c>, and once more after the
/// server has drained at shutdown, then closes the store (releasing its lock file).
/// </summary>
internal sealed partial class LastUsedFlushService(
    LastUsedTracker tracker,
    IGatewayStore store,
    GatewayOptions options,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<LastUsedFlushService> logger) : BackgroundService
{
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        // ApplicationStopped fires after Kestrel has drained in-flight requests: the last touches are in.
        lifetime.ApplicationStopped.Register(() =>
        {
            FlushOnce();
            store.Dispose();
        });
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Store.LastUsedFlushInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    var count = await tracker.FlushAsync(500, TimeSpan.FromMilliseconds(20), stoppingToken);
                    if (count > 0)
                    {
                        Log.Flushed(logger, count);
                    }
                }
                catch (StoreUnavailableException ex)
                {
                    Log.FlushFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Shutdown: the final flush runs on ApplicationStopped.
        }
    }

    private void FlushOnce()
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
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.LastUsedFlushed, EventName = "LastUsedFlushed", Level = LogLevel.Debug, Message = "Recorded last-used times of {Count} keys.")]
        public static partial void Flushed(ILogger logger, int count);

        [LoggerMessage(EventId = EventIds.LastUsedFlushFailed, EventName = "LastUsedFlushFailed", Level = LogLevel.Warning, Message = "Could not record last-used times; they are kept for the next flush.")]
        public static partial void FlushFailed(ILogger logger, Exception exception);
    }
}
