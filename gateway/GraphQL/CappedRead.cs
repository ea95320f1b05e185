namespace Gateway.GraphQL;

/// <summary>Reads a whole upstream answer into memory under a hard cap (an answer over it is an error, never truncated).</summary>
internal static class CappedRead
{
    public static async Task<byte[]> ReadAsync(Stream stream, int cap, CancellationToken cancel)
    {
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancel)) > 0)
        {
            if (buffer.Length + read > cap)
            {
                throw new InvalidDataException($"The answer exceeds {cap} bytes.");
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }
}
