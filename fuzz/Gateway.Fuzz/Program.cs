using Gateway.Fuzz;
using SharpFuzz;

// dotnet Gateway.Fuzz.dll <target>            under afl-fuzz (input on stdin, out of process)
// dotnet Gateway.Fuzz.dll <target> <file>...   replay files once (crash triage)
if (args.Length == 0 || !FuzzTargets.All.TryGetValue(args[0], out var target))
{
    Console.Error.WriteLine($"usage: Gateway.Fuzz <{string.Join('|', FuzzTargets.All.Keys)}> [files...]");
    return 2;
}

if (args.Length > 1)
{
    foreach (var file in args[1..])
    {
        target(File.ReadAllBytes(file));
    }

    return 0;
}

Fuzzer.OutOfProcess.Run(stream =>
{
    using var buffer = new MemoryStream();
    stream.CopyTo(buffer);
    target(buffer.ToArray());
});
return 0;
