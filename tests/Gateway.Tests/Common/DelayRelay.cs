using System.Net;
using System.Net.Sockets;

namespace Gateway.Tests.Common;

/// <summary>
/// A TCP relay on 127.0.0.1 that holds every chunk for a fixed delay in each direction, in order: a
/// slow link between a replica and its database (20 ms is a database in another zone).
/// </summary>
public sealed class DelayRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly int _target;
    private readonly TimeSpan _delay;
    private readonly Task _accepting;

    public DelayRelay(int targetPort, TimeSpan delay)
    {
        _target = targetPort;
        _delay = delay;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }

            _ = RelayAsync(client);
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
                client.NoDelay = server.NoDelay = true;
                await Task.WhenAny(PumpAsync(client.GetStream(), server.GetStream()), PumpAsync(server.GetStream(), client.GetStream()));
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
            }
            catch (IOException)
            {
            }
            catch (SocketException)
            {
            }
        }
    }

    // Reads go on at once; each chunk is written once its delay has passed, in the order read.
    private async Task PumpAsync(NetworkStream from, NetworkStream to)
    {
        var queue = System.Threading.Channels.Channel.CreateUnbounded<(byte[] Bytes, long Due)>();
        var writer = Task.Run(async () =>
        {
            await foreach (var (bytes, due) in queue.Reader.ReadAllAsync(_stop.Token))
            {
                var wait = due - Environment.TickCount64;
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(wait), _stop.Token);
                }

                await to.WriteAsync(bytes, _stop.Token);
            }
        });
        var buffer = new byte[64 * 1024];
        int read;
        try
        {
            while ((read = await from.ReadAsync(buffer, _stop.Token)) > 0)
            {
                queue.Writer.TryWrite((buffer[..read], Environment.TickCount64 + (long)_delay.TotalMilliseconds));
            }
        }
        finally
        {
            queue.Writer.TryComplete();
        }

        await writer;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }
}
