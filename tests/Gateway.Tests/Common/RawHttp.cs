using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Common;

/// <summary>Sends bytes exactly as written: targets, header names and framing an HttpClient would normalize or refuse.</summary>
public static class RawHttp
{
    public static async Task<(int Status, string Response)> SendAsync(Uri server, string request)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var text = await reader.ReadToEndAsync(timeout.Token);
        var status = text.Length > 12 && int.TryParse(text.AsSpan(9, 3), out var code) ? code : 0;
        return (status, text);
    }

    /// <summary>Sends <paramref name="head"/> (ASCII) and then <paramref name="body"/> as raw bytes; reads the whole answer as UTF-8.</summary>
    public static async Task<(int Status, string Response)> SendBytesAsync(Uri server, string head, byte[] body)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        await stream.WriteAsync(body);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var text = await reader.ReadToEndAsync(timeout.Token);
        var status = text.Length > 12 && int.TryParse(text.AsSpan(9, 3), out var code) ? code : 0;
        return (status, text);
    }

    public static string Get(string target, string host, params string[] headers)
        => $"GET {target} HTTP/1.1\r\nHost: {host}\r\n" + string.Concat(headers.Select(h => h + "\r\n")) + "Connection: close\r\n\r\n";
}
