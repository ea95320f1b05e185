using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Gateway.BodyScope;

/// <summary>
/// Whether any object of a parsed JSON value has two properties of one name, as
/// <see cref="JsonDocumentOptions.AllowDuplicateProperties"/> = false checks it (names compared unescaped,
/// ordinally), without its cost: that check builds a hash set per object (about 800 bytes and a fifth of
/// the parse for the SDK's UpsertBucket, whose variables object has eighteen properties). Here the names of
/// one object are compared on their raw bytes through a fingerprint (length and a seeded hash) kept on the
/// stack (an open-addressing table), so a request allocates nothing; an object with an escaped name or more than 64 properties is
/// compared on its unescaped names through a set, as the framework does.
/// </summary>
internal static class JsonDuplicates
{
    private const int Small = 64;

    public static bool Any(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var count = element.GetPropertyCount();
                if (count > 1 && HasDuplicate(element, count))
                {
                    return true;
                }

                foreach (var property in element.EnumerateObject())
                {
                    if (property.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array && Any(property.Value))
                    {
                        return true;
                    }
                }

                return false;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (item.ValueKind is JsonValueKind.Object or JsonValueKind.Array && Any(item))
                    {
                        return true;
                    }
                }

                return false;
            default:
                return false;
        }
    }

    private static bool HasDuplicate(JsonElement element, int count)
    {
        if (count > Small)
        {
            return HasDuplicateUnescaped(element);
        }

        // An open-addressing table of fingerprints (at most half full), each slot pointing at its property:
        // one probe per name, bytes compared only when two fingerprints are equal.
        var size = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)count * 2);
        Span<ulong> prints = stackalloc ulong[size];
        Span<byte> slots = stackalloc byte[size];
        slots.Clear();
        var properties = ArrayPool<JsonProperty>.Shared.Rent(count);
        try
        {
            var n = 0;
            foreach (var property in element.EnumerateObject())
            {
                var name = JsonMarshal.GetRawUtf8PropertyName(property);
                if (name.IndexOf((byte)'\\') >= 0)
                {
                    return HasDuplicateUnescaped(element);
                }

                var print = Fingerprint(name);
                var slot = (int)print & (size - 1);
                while (slots[slot] != 0)
                {
                    if (prints[slot] == print && JsonMarshal.GetRawUtf8PropertyName(properties[slots[slot] - 1]).SequenceEqual(name))
                    {
                        return true;
                    }

                    slot = (slot + 1) & (size - 1);
                }

                prints[slot] = print;
                properties[n++] = property;
                slots[slot] = (byte)n;
            }

            return false;
        }
        finally
        {
            ArrayPool<JsonProperty>.Shared.Return(properties, clearArray: true);
        }
    }

    // Equal names have equal fingerprints: the length and a hash of every byte, seeded per process
    // (HashCode's random seed), so a client cannot choose names that share one and make the probes long.
    private static ulong Fingerprint(ReadOnlySpan<byte> name)
    {
        var hash = new HashCode();
        hash.AddBytes(name);
        return ((ulong)(uint)name.Length << 32) | (uint)hash.ToHashCode();
    }

    private static bool HasDuplicateUnescaped(JsonElement element)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var property in element.EnumerateObject())
        {
            if (!seen.Add(property.Name))
            {
                return true;
            }
        }

        return false;
    }
}
