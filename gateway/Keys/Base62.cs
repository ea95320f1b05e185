using System.Security.Cryptography;

namespace Gateway.Keys;

/// <summary>The key alphabet: <c>[0-9A-Za-z]</c>. No <c>-</c>, <c>.</c> or <c>_</c> inside segments.</summary>
internal static class Base62
{
    public const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>The alphabet for vectorized searches.</summary>
    public static readonly System.Buffers.SearchValues<char> Values = System.Buffers.SearchValues.Create(Alphabet);

    /// <summary>Fills <paramref name="destination"/> with uniformly random alphabet characters from the CSPRNG.</summary>
    public static void FillRandom(Span<char> destination) => RandomNumberGenerator.GetItems(Alphabet, destination);

    public static string Random(int length)
    {
        Span<char> chars = stackalloc char[length];
        FillRandom(chars);
        return new string(chars);
    }

    /// <summary>Writes <paramref name="value"/> as exactly <paramref name="destination"/>.Length digits, modulo 62^length.</summary>
    public static void WriteFixed(ulong value, Span<char> destination)
    {
        for (var i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = Alphabet[(int)(value % 62)];
            value /= 62;
        }
    }
}
