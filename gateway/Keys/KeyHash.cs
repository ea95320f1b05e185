using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Gateway.Keys;

/// <summary>SHA-256 of a whole presented key, as a value type: a dictionary key without allocation.</summary>
internal readonly struct KeyHash : IEquatable<KeyHash>
{
    public const int MaxKeyLength = 256;

    private readonly ulong _a, _b, _c, _d;

    private KeyHash(ReadOnlySpan<byte> hash)
    {
        _a = BinaryPrimitives.ReadUInt64LittleEndian(hash);
        _b = BinaryPrimitives.ReadUInt64LittleEndian(hash[8..]);
        _c = BinaryPrimitives.ReadUInt64LittleEndian(hash[16..]);
        _d = BinaryPrimitives.ReadUInt64LittleEndian(hash[24..]);
    }

    /// <summary>Hashes an ASCII key (callers validate the alphabet first; longer keys are refused earlier).</summary>
    public static KeyHash Of(ReadOnlySpan<char> key)
    {
        Span<byte> bytes = stackalloc byte[MaxKeyLength];
        var count = Encoding.ASCII.GetBytes(key, bytes);
        Span<byte> hash = stackalloc byte[32];
        Sha256.Hash(bytes[..count], hash);
        return new KeyHash(hash);
    }

    /// <summary>Hashes ASCII text of any length (JWTs, up to the configured token size).</summary>
    public static KeyHash OfText(ReadOnlySpan<char> text)
    {
        if (text.Length <= MaxKeyLength)
        {
            return Of(text);
        }

        var bytes = System.Buffers.ArrayPool<byte>.Shared.Rent(text.Length);
        try
        {
            var count = Encoding.ASCII.GetBytes(text, bytes);
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(bytes.AsSpan(0, count), hash);
            return new KeyHash(hash);
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    public static KeyHash FromBytes(ReadOnlySpan<byte> hash) => hash.Length == 32
        ? new KeyHash(hash)
        : throw new ArgumentException("A key hash is 32 bytes.", nameof(hash));

    public byte[] ToArray()
    {
        var bytes = new byte[32];
        WriteTo(bytes);
        return bytes;
    }

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, _a);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], _b);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[16..], _c);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[24..], _d);
    }

    /// <summary>Constant-time comparison with stored hash bytes.</summary>
    public bool FixedTimeEquals(ReadOnlySpan<byte> stored)
    {
        Span<byte> mine = stackalloc byte[32];
        WriteTo(mine);
        return CryptographicOperations.FixedTimeEquals(mine, stored);
    }

    public bool Equals(KeyHash other) => _a == other._a && _b == other._b && _c == other._c && _d == other._d;

    public override bool Equals(object? obj) => obj is KeyHash other && Equals(other);

    public override int GetHashCode() => (int)_a ^ (int)(_a >> 32);

    public override string ToString() => "sha256:" + Convert.ToHexStringLower(ToArray()).AsSpan(0, 12).ToString();
}
