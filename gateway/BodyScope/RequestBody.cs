using System.Buffers;
using System.IO.Compression;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.BodyScope;

/// <summary>
/// Buffers a body under a hard cap, checked here (a route's MaxRequestBodySize does not protect
/// middleware that reads first), and swaps in a stream over the very same bytes, so the upstream
/// receives exactly what was parsed. A gzip body is inflated for parsing under its own cap and
/// forwarded compressed, as sent.
/// </summary>
internal static class RequestBody
{
    public static async ValueTask<ReadOnlyMemory<byte>> ReadAsync(HttpContext context, BodyLimits limits)
    {
        var request = context.Request;
        var encoding = request.Headers.ContentEncoding;
        string? compression = null;
        if (encoding.Count > 1)
        {
            throw new BodyScopeException(415, BodyScopeCodes.UnsupportedEncoding, "Send at most one Content-Encoding.");
        }

        if (encoding.Count == 1 && !string.IsNullOrEmpty(encoding[0]) && !string.Equals(encoding[0], "identity", StringComparison.OrdinalIgnoreCase))
        {
            compression = string.Equals(encoding[0], "gzip", StringComparison.OrdinalIgnoreCase) ? "gzip"
                : string.Equals(encoding[0], "deflate", StringComparison.OrdinalIgnoreCase) ? "deflate"
                : throw new BodyScopeException(415, BodyScopeCodes.UnsupportedEncoding, "Only gzip and deflate bodies are accepted on this route.");
        }

        if (request.ContentLength > limits.MaxBytes)
        {
            throw TooLarge(limits.MaxBytes);
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            // The gateway's own cap governs this route; Kestrel's default must not cut it shorter or longer.
            sizeFeature.MaxRequestBodySize = limits.MaxBytes + 1L;
        }

        ArraySegment<byte> bytes;
        try
        {
            bytes = request.ContentLength is { } length
                ? TryReadBuffered(request, (int)length) ?? await ReadExactlyAsync(request.Body, (int)length, context.RequestAborted)
                : await ReadChunkedAsync(request.Body, limits.MaxBytes, context.RequestAborted);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            throw TooLarge(limits.MaxBytes);
        }
        catch (Exception ex) when (ex is BadHttpRequestException or IOException)
        {
            // The client's framing broke mid-body (an HTTP/2 stream whose DATA disagrees with its
            // Content-Length, a malformed chunk, a reset stream): a client error, not the gateway's.
            // Kestrel has usually reset the stream already, and the answer below goes nowhere.
            throw new BodyScopeException(400, BodyScopeCodes.IncompleteBody, "The request body ended early, ran past its Content-Length, or was malformed.");
        }

        request.Body = new MemoryStream(bytes.Array!, bytes.Offset, bytes.Count, writable: false);
        return compression is null ? bytes : Inflate(bytes, limits.MaxDecompressedBytes, compression == "gzip");
    }

    // A small body usually arrived with its headers: when the whole of it is buffered already it is
    // taken without awaiting, so the decision completes synchronously (no state machine boxed on the
    // way). Otherwise nothing is consumed and the stream is read as below.
    private static ArraySegment<byte>? TryReadBuffered(HttpRequest request, int length)
    {
        var reader = request.BodyReader;
        if (!reader.TryRead(out var result))
        {
            return null;
        }

        var buffer = result.Buffer;
        if (buffer.Length < length && !result.IsCompleted)
        {
            reader.AdvanceTo(buffer.Start, buffer.End);
            return null;
        }

        // Kestrel ends the body at its Content-Length: a completed read shorter than that is a truncated body, read as it is.
        var take = (int)Math.Min(buffer.Length, length);
        var bytes = new byte[take];
        buffer.Slice(0, take).CopyTo(bytes);
        reader.AdvanceTo(buffer.GetPosition(take));
        return new ArraySegment<byte>(bytes, 0, take);
    }

    // With a Content-Length (already checked against the cap) the body goes straight into an array of
    // its size: no growing buffer and no 16 KB chunk per request. Kestrel ends the body at the length.
    private static async Task<ArraySegment<byte>> ReadExactlyAsync(Stream body, int length, CancellationToken cancellationToken)
    {
        var bytes = new byte[length];
        var total = 0;
        int read;
        while (total < length && (read = await body.ReadAsync(bytes.AsMemory(total), cancellationToken)) > 0)
        {
            total += read;
        }

        return new ArraySegment<byte>(bytes, 0, total);
    }

    // Chunked: a pooled chunk, the copy grown only as far as the cap allows.
    private static async Task<ArraySegment<byte>> ReadChunkedAsync(Stream body, int cap, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream(4096);
        var chunk = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
            {
                if (buffer.Length + read > cap)
                {
                    throw TooLarge(cap);
                }

                buffer.Write(chunk, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }

        return new ArraySegment<byte>(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static ReadOnlyMemory<byte> Inflate(ReadOnlyMemory<byte> compressed, int cap, bool isGzip)
    {
        using var input = new MemoryStream(compressed.ToArray(), writable: false);
        // HTTP's "deflate" is the zlib format (RFC 9110 §8.4.1.2).
        using Stream gzip = isGzip ? new GZipStream(input, CompressionMode.Decompress) : new ZLibStream(input, CompressionMode.Decompress);
        var output = new MemoryStream();
        var chunk = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = gzip.Read(chunk, 0, chunk.Length)) > 0)
            {
                if (output.Length + read > cap)
                {
                    throw new BodyScopeException(413, BodyScopeCodes.DecompressedBodyTooLarge, $"The decompressed body exceeds {cap} bytes.");
                }

                output.Write(chunk, 0, read);
            }
        }
        catch (InvalidDataException)
        {
            throw new BodyScopeException(400, BodyScopeCodes.InvalidJson, "The compressed body is corrupt.");
        }

        return new ReadOnlyMemory<byte>(output.GetBuffer(), 0, (int)output.Length);
    }

    private static BodyScopeException TooLarge(int cap) => new(413, BodyScopeCodes.BodyTooLarge, $"This route accepts bodies of at most {cap} bytes.");
}
