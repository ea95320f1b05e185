using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Common;

/// <summary>What the server answered on stream 1: its <c>:status</c> and body, or the RST_STREAM / GOAWAY error code.</summary>
public sealed record Http2Answer(int Status, string Body, int ResetCode, int GoAwayCode)
{
    public bool Reset => ResetCode >= 0 || GoAwayCode >= 0;

    public override string ToString() => Reset ? $"reset (RST_STREAM {ResetCode}, GOAWAY {GoAwayCode})" : $"{Status} {Body}";
}

/// <summary>
/// One HTTP/2 request on a fresh h2c connection, framed by hand: a client library always makes its
/// DATA agree with its <c>content-length</c>, and this sends what an attacker would. Header fields are
/// HPACK literals (no table, no Huffman); DATA frames are sent as given, the last with END_STREAM.
/// </summary>
public static class RawHttp2
{
    public static async Task<Http2Answer> SendAsync(Uri server, string method, string path, IEnumerable<(string Name, string Value)> headers, params byte[][] data)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        using var frames = new MemoryStream();
        frames.Write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8);
        frames.Write(Frame(0x4, 0, 0, []));
        var block = new MemoryStream();
        foreach (var (name, value) in new[] { (":method", method), (":scheme", "http"), (":path", path), (":authority", server.Authority) }.Concat(headers))
        {
            block.WriteByte(0x00);
            WriteString(block, name);
            WriteString(block, value);
        }

        // END_HEADERS, and END_STREAM when there is no DATA at all.
        frames.Write(Frame(0x1, (byte)(0x4 | (data.Length == 0 ? 0x1 : 0)), 1, block.ToArray()));
        for (var i = 0; i < data.Length; i++)
        {
            frames.Write(Frame(0x0, (byte)(i == data.Length - 1 ? 0x1 : 0), 1, data[i]));
        }

        await stream.WriteAsync(frames.ToArray());
        return await ReadAnswerAsync(stream);
    }

    private static async Task<Http2Answer> ReadAnswerAsync(NetworkStream stream)
    {
        var pending = new List<byte>();
        var buffer = new byte[16 * 1024];
        var status = 0;
        var body = new MemoryStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (true)
        {
            int read;
            try
            {
                read = await stream.ReadAsync(buffer, timeout.Token);
            }
            catch (IOException)
            {
                read = 0;
            }

            if (read == 0)
            {
                return new Http2Answer(status, Encoding.UTF8.GetString(body.ToArray()), -1, status == 0 ? 0 : -1);
            }

            pending.AddRange(buffer.AsSpan(0, read).ToArray());
            while (pending.Count >= 9 && pending.Count >= 9 + ((pending[0] << 16) | (pending[1] << 8) | pending[2]))
            {
                var length = (pending[0] << 16) | (pending[1] << 8) | pending[2];
                var (type, flags) = (pending[3], pending[4]);
                var id = BinaryPrimitives.ReadInt32BigEndian(pending.GetRange(5, 4).ToArray()) & 0x7fffffff;
                var payload = pending.GetRange(9, length).ToArray();
                pending.RemoveRange(0, 9 + length);
                switch (type)
                {
                    case 0x7:
                        return new Http2Answer(status, "", -1, BinaryPrimitives.ReadInt32BigEndian(payload.AsSpan(4)));
                    case 0x3 when id == 1:
                        return new Http2Answer(status, "", BinaryPrimitives.ReadInt32BigEndian(payload), -1);
                    case 0x1 when id == 1:
                        status = status == 0 ? StatusOf(payload) : status;
                        break;
                    case 0x0 when id == 1:
                        body.Write(payload);
                        break;
                }

                if (id == 1 && type is 0x0 or 0x1 && (flags & 0x1) != 0)
                {
                    return new Http2Answer(status, Encoding.UTF8.GetString(body.ToArray()), -1, -1);
                }
            }
        }
    }

    // The :status field comes first in a response's header block: an indexed static entry (8-14) or a
    // literal whose name is static entry 8, in any of the three literal forms.
    private static int StatusOf(byte[] block)
    {
        var first = block[0];
        if ((first & 0x80) != 0)
        {
            return (first & 0x7f) switch { 8 => 200, 9 => 204, 10 => 206, 11 => 304, 12 => 400, 13 => 404, 14 => 500, _ => -1 };
        }

        var valueAt = 1;
        var length = block[valueAt] & 0x7f;
        return (block[valueAt] & 0x80) == 0 && length == 3 ? int.Parse(Encoding.ASCII.GetString(block, valueAt + 1, 3)) : -1;
    }

    private static void WriteString(Stream into, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        // HPACK integer, 7-bit prefix, Huffman bit off.
        if (bytes.Length < 127)
        {
            into.WriteByte((byte)bytes.Length);
        }
        else
        {
            into.WriteByte(127);
            var rest = bytes.Length - 127;
            while (rest >= 128)
            {
                into.WriteByte((byte)((rest & 0x7f) | 0x80));
                rest >>= 7;
            }

            into.WriteByte((byte)rest);
        }

        into.Write(bytes);
    }

    /// <summary>One HTTP/2 frame: the 9-byte header (length, type, flags, stream) and the payload.</summary>
    public static byte[] Frame(byte type, byte flags, int stream, byte[] payload)
    {
        var frame = new byte[9 + payload.Length];
        frame[0] = (byte)(payload.Length >> 16);
        frame[1] = (byte)(payload.Length >> 8);
        frame[2] = (byte)payload.Length;
        frame[3] = type;
        frame[4] = flags;
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(5), stream);
        payload.CopyTo(frame, 9);
        return frame;
    }
}
