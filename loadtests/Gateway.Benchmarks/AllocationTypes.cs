using System.Diagnostics.Tracing;

namespace Gateway.Benchmarks;

/// <summary>
/// <c>-- --allocation-types-graphql</c>: which types the GraphQL UpsertBucket analysis allocates, by the
/// runtime's allocation sampling (one event per ~100 KB allocated, naming the type that crossed it):
/// over a million requests the counts are proportional to each type's bytes.
/// </summary>
internal sealed class AllocationTypes : EventListener
{
    private readonly Dictionary<string, int> _counts = [];
    private bool _on;

    public static void RunGraphQl()
    {
        var bench = new IdentityTrafficBenchmarks();
        bench.Setup();
        for (var i = 0; i < 100_000; i++)
        {
            bench.UpsertBucketRules();
        }

        using var listener = new AllocationTypes();
        var before = GC.GetAllocatedBytesForCurrentThread();
        const int Iterations = 1_000_000;
        for (var i = 0; i < Iterations; i++)
        {
            bench.UpsertBucketRules();
        }

        var perRequest = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Iterations;
        listener._on = false;
        var total = listener._counts.Values.Sum();
        Console.WriteLine($"{perRequest:F0} B per request; samples by type:");
        foreach (var (type, count) in listener._counts.OrderByDescending(p => p.Value))
        {
            Console.WriteLine($"{count * perRequest / total,7:F0} B  {type}");
        }

        bench.Cleanup();
    }

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
            _on = true;
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs data)
    {
        if (_on && data.EventName == "GCAllocationTick_V4" && data.Payload is { } payload)
        {
            var type = payload[data.PayloadNames!.IndexOf("TypeName")] as string ?? "?";
            lock (_counts)
            {
                _counts[type] = _counts.GetValueOrDefault(type) + 1;
            }
        }
    }
}
