using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers.Clr;

// Bytes allocated by type in a trace taken with `dotnet-trace collect --profile gc-verbose`: the
// runtime reports an allocation tick about every 100 KB with the type that crossed it, so the
// shares are a sample of every byte allocated, in proportion.
if (args.Length is < 1 or > 2)
{
    Console.Error.WriteLine("usage: AllocationProfile <trace.nettrace> [top N, default 40]");
    return 2;
}

var bytes = new Dictionary<string, long>(StringComparer.Ordinal);
long total = 0;
using (var source = new EventPipeEventSource(args[0]))
{
    source.Clr.GCAllocationTick += (GCAllocationTickTraceData tick) =>
    {
        var name = tick.TypeName ?? "?";
        bytes[name] = bytes.GetValueOrDefault(name) + tick.AllocationAmount64;
        total += tick.AllocationAmount64;
    };
    source.Process();
}

var top = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 40;
Console.WriteLine($"sampled {total / 1e6:F1} MB in {bytes.Count} types");
foreach (var (type, amount) in bytes.OrderByDescending(p => p.Value).Take(top))
{
    Console.WriteLine($"{amount * 100.0 / total,6:F2} %  {type}");
}

return 0;
