namespace Gateway.Benchmarks;

/// <summary>
/// <c>-- --allocations</c>: bytes allocated per request by each part of the hot path, exactly (the
/// thread's allocation counter over many iterations), for the profile table in loadtests/README.md.
/// </summary>
internal static class AllocationBreakdown
{
    public static void Run()
    {
        foreach (var credential in new[] { "api_key", "access_token", "raw_jwt" })
        {
            var bench = new HotPathBenchmarks { Credential = credential };
            bench.Setup();
            try
            {
                var baseline = Measure(() => { bench.OutgoingMessageOnly(); return Task.CompletedTask; });
                var middleware = Measure(bench.MiddlewareAsync);
                var transform = Measure(bench.TransformAsync);
                var total = Measure(bench.AuthorizeAndSetHeaders);
                Console.WriteLine($"{credential,-13} outgoing message (YARP's own) {baseline,5:F0} B | middleware {middleware,5:F0} B | message + identity transform {transform,5:F0} B (transform {transform - baseline:F0} B) | whole {total,5:F0} B, net of YARP {total - baseline:F0} B");
            }
            finally
            {
                bench.Cleanup();
            }
        }

        // What an outgoing message's header store costs as headers are added to the four the benchmark copies
        // (3: plain YARP's X-Forwarded-*; 9: the gateway's X-Forwarded-* and identity, less the client's Authorization).
        foreach (var added in new[] { 0, 3, 4, 9, 12 })
        {
            var bytes = Measure(() =>
            {
                using var message = new HttpRequestMessage(HttpMethod.Post, "http://upstream/p");
                message.Headers.TryAddWithoutValidation("Authorization", "Basic abc");
                message.Headers.TryAddWithoutValidation("User-Agent", "W&B Internal Client 0.22.3");
                message.Headers.TryAddWithoutValidation("Accept", "*/*");
                message.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip, deflate");
                for (var i = 0; i < added; i++)
                {
                    message.Headers.TryAddWithoutValidation(HeaderNames[i], "value");
                }

                return Task.CompletedTask;
            });
            Console.WriteLine($"outgoing message with 4 + {added,2} headers: {bytes,4:F0} B");
        }

        var headers = (Microsoft.AspNetCore.Http.IHeaderDictionary)new Microsoft.AspNetCore.Http.HeaderDictionary { ["Authorization"] = "Basic abc" };
        Console.WriteLine($"one foreach over an IHeaderDictionary: {Measure(() => { foreach (var header in headers) { _ = header.Key; } return Task.CompletedTask; }):F0} B");
    }

    private static readonly string[] HeaderNames =
    [
        "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Gateway-Principal", "X-Gateway-Principal-Type",
        "X-Gateway-Org", "X-Gateway-Auth-Method", "X-Gateway-Key-Id", "X-Gateway-Entity", "X-Gateway-Project",
        "X-Gateway-Attributed-User", "X-Gateway-Identity",
    ];

    private static double Measure(Func<Task> run)
    {
        const int Iterations = 20_000;
        for (var i = 0; i < 2_000; i++)
        {
            run().GetAwaiter().GetResult();
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Iterations; i++)
        {
            run().GetAwaiter().GetResult();
        }

        return (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Iterations;
    }
}
