using Gateway.Directory;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Gateway.Store.Postgres;

/// <summary>
/// Keeps this replica's snapshot and caches in step with the shared database: LISTENs on a dedicated
/// connection for the version every commit notifies, reloads when it is newer, and polls the version
/// on the same connection every <c>PollInterval</c> as the backstop for a lost notification. After a
/// (re)connect nothing cached is trusted: it reloads first. Every successful contact confirms the
/// snapshot (<see cref="StoreFreshness"/>); a database out of reach lets the staleness grow until
/// requests are refused.
/// </summary>
internal sealed partial class DirectorySync(
    DirectoryService directory, StoreFreshness freshness, Configuration.GatewayOptions options, Metrics.GatewayMetrics metrics,
    TimeProvider time, ILogger<DirectorySync> logger) : BackgroundService
{
    private long _notified;
    private long _notifiedAt;

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        var store = (PostgresGatewayStore)directory.Store;
        var backoff = TimeSpan.FromMilliseconds(100);
        var wasConnected = true;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await using var connection = await store.ListenerSource.OpenConnectionAsync(stopping);
                connection.Notification += OnNotification;
                await using (var listen = new NpgsqlCommand($"LISTEN {PostgresGatewayStore.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stopping);
                }

                // Whatever changed while nobody listened: reload before trusting the caches.
                Reload(force: true, wasConnected ? "start" : "reconnect");
                if (!wasConnected)
                {
                    Log.Reconnected(logger, store.Description);
                }

                wasConnected = true;
                backoff = TimeSpan.FromMilliseconds(100);
                await using var poll = new NpgsqlCommand("SELECT value FROM gateway_meta WHERE key = 'version'", connection);
                while (!stopping.IsCancellationRequested)
                {
                    if (await connection.WaitAsync(options.Store.PollInterval, stopping))
                    {
                        if (Interlocked.Read(ref _notified) > directory.Current.Version)
                        {
                            Reload(force: false, "notification");
                            metrics.DirectoryPropagated(time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(Interlocked.Read(ref _notifiedAt)));
                        }

                        Confirm();
                        continue;
                    }

                    // No notification for a whole interval: ask.
                    if (await poll.ExecuteScalarAsync(stopping) is long version && version != directory.Current.Version)
                    {
                        Log.CaughtByPoll(logger, directory.Current.Version, version);
                        Reload(force: false, "poll");
                    }

                    Confirm();
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or StoreUnavailableException or TimeoutException or IOException or InvalidOperationException)
            {
                if (wasConnected)
                {
                    Log.Lost(logger, store.Description, ex.GetType().Name, ex.Message, options.Store.MaxStaleness);
                }

                wasConnected = false;
                metrics.StoreUnconfirmed(freshness.SinceConfirmed);
                try
                {
                    await Task.Delay(backoff, time, stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
            }
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        var parts = e.Payload.Split(' ');
        if (parts.Length == 2 && long.TryParse(parts[0], out var version) && long.TryParse(parts[1], out var at) && version > Interlocked.Read(ref _notified))
        {
            Interlocked.Exchange(ref _notifiedAt, at);
            Interlocked.Exchange(ref _notified, version);
        }
    }

    private void Reload(bool force, string cause)
    {
        if (directory.Refresh(force))
        {
            metrics.DirectoryReloaded(cause);
        }

        Confirm();
    }

    private void Confirm()
    {
        freshness.Confirm();
        metrics.DirectoryVersion(directory.Current.Version);
        metrics.StoreUnconfirmed(TimeSpan.Zero);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = Diagnostics.EventIds.StoreConnectionLost, EventName = "StoreConnectionLost", Level = LogLevel.Warning,
            Message = "Lost the PostgreSQL store {Store} ({Error}: {Message}); answering from the last snapshot for at most {MaxStaleness}, then refusing with 503.")]
        public static partial void Lost(ILogger logger, string store, string error, string message, TimeSpan maxStaleness);

        [LoggerMessage(EventId = Diagnostics.EventIds.StoreReconnected, EventName = "StoreReconnected", Level = LogLevel.Information,
            Message = "Reconnected to the PostgreSQL store {Store}; the snapshot was reloaded and the caches dropped.")]
        public static partial void Reconnected(ILogger logger, string store);

        [LoggerMessage(EventId = Diagnostics.EventIds.DirectoryCaughtByPoll, EventName = "DirectoryCaughtByPoll", Level = LogLevel.Warning,
            Message = "The directory moved from version {Local} to {Stored} without a notification reaching this replica; reloaded by the poll.")]
        public static partial void CaughtByPoll(ILogger logger, long local, long stored);
    }
}
