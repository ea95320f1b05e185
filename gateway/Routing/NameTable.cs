using System.Collections.Concurrent;

namespace Gateway.Routing;

/// <summary>
/// One string per entity or project name a route reads from a request path: the names a gateway
/// sees are few and repeat on every request, so after the first sight of a name it is found by its
/// characters instead of copied out of the path again. Bounded: once full, new names are simply
/// copied as before (so names nobody reuses cost nothing but their first copy). Only valid names,
/// from authenticated requests, get here.
/// </summary>
internal static class NameTable
{
    public const int Capacity = 8192;

    private static readonly ConcurrentDictionary<string, string> Names = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> BySpan = Names.GetAlternateLookup<ReadOnlySpan<char>>();
    private static int _count;

    public static string Get(ReadOnlySpan<char> name)
    {
        if (BySpan.TryGetValue(name, out var known))
        {
            return known;
        }

        var text = name.ToString();
        // A racing add of the same name is harmless: both callers get an equal string.
        if (Volatile.Read(ref _count) < Capacity && Names.TryAdd(text, text))
        {
            Interlocked.Increment(ref _count);
        }

        return text;
    }
}
