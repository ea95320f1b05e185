using System.Diagnostics;
using Gateway.Keys;
using Gateway.Store;

namespace Gateway.Benchmarks;

/// <summary>
/// `--last-used N`: what a last-used flush costs the store with N active keys (each written once a
/// minute, in chunks of 500 as the flush service does), wall and CPU time per key written.
/// </summary>
internal static class LastUsedFlushProbe
{
    public static void Run(int activeKeys)
    {
        var dir = System.IO.Directory.CreateTempSubdirectory("gw-lastused-");
        try
        {
            using var store = new LiteDbGatewayStore(Path.Combine(dir.FullName, "gateway.db"));
            var hashes = Enumerable.Range(0, activeKeys).Select(i => KeyHash.OfText($"key-{i}")).ToArray();
            var at = DateTimeOffset.UnixEpoch.AddYears(56);
            // First pass inserts, the following ones update (the steady state under load).
            for (var pass = 0; pass < 4; pass++)
            {
                at = at.AddMinutes(1);
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var wall = Stopwatch.StartNew();
                foreach (var chunk in hashes.Chunk(500))
                {
                    store.UpdateLastUsed(chunk.Select(h => new KeyValuePair<KeyHash, DateTimeOffset>(h, at)).ToList());
                }

                wall.Stop();
                var used = Process.GetCurrentProcess().TotalProcessorTime - cpu;
                Console.WriteLine($"pass {pass} ({(pass == 0 ? "insert" : "update")}): {activeKeys:N0} keys, wall {wall.Elapsed.TotalMicroseconds / activeKeys:F1} µs/key, CPU {used.TotalMicroseconds / activeKeys:F1} µs/key");
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
