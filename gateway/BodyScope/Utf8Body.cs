namespace Gateway.BodyScope;

/// <summary>
/// JSON bodies must be valid UTF-8 as a whole, and every <c>\u</c> escape must decode to valid UTF-16.
/// Found by fuzzing: System.Text.Json reads past invalid bytes inside a string and throws only when the
/// string is decoded, which surfaced as a 500. A lone surrogate escape (<c>"\ud800"</c>) is valid JSON
/// syntax that System.Text.Json refuses to decode, Python decodes to a lone surrogate and Go to U+FFFD:
/// three readings of one body, so it is refused (400) before either JSON extractor runs. Both checks
/// are one vectorized pass (about 0.1 ms per MiB).
/// </summary>
internal static class Utf8Body
{
    public static void Check(ReadOnlySpan<byte> body)
    {
        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            throw new BodyScopeException(400, BodyScopeCodes.InvalidJson, "The body is not valid UTF-8 JSON.");
        }

        CheckEscapes(body);
    }

    /// <summary>
    /// Every <c>\uD800</c>-<c>\uDBFF</c> escape must be followed by a <c>\uDC00</c>-<c>\uDFFF</c> escape,
    /// and a low surrogate never stands alone. Backslashes occur only inside strings in valid JSON, so
    /// walking from one to the next (skipping each escape's second character) sees every escape.
    /// </summary>
    public static void CheckEscapes(ReadOnlySpan<byte> body)
    {
        var i = body.IndexOf((byte)'\\');
        while (i >= 0 && i + 1 < body.Length)
        {
            var step = 2;
            if (body[i + 1] == 'u' && TryHex(body, i + 2, out var unit))
            {
                step = 6;
                if (unit is >= 0xDC00 and <= 0xDFFF)
                {
                    throw LoneSurrogate();
                }

                if (unit is >= 0xD800 and <= 0xDBFF)
                {
                    if (i + 7 >= body.Length || body[i + 6] != '\\' || body[i + 7] != 'u' || !TryHex(body, i + 8, out var low) || low is < 0xDC00 or > 0xDFFF)
                    {
                        throw LoneSurrogate();
                    }

                    step = 12;
                }
            }

            var next = body[(i + step > body.Length ? body.Length : i + step)..].IndexOf((byte)'\\');
            i = next < 0 ? -1 : i + step + next;
        }
    }

    private static bool TryHex(ReadOnlySpan<byte> body, int start, out int value)
    {
        value = 0;
        if (start + 4 > body.Length)
        {
            return false;
        }

        for (var k = start; k < start + 4; k++)
        {
            var digit = body[k] switch
            {
                >= (byte)'0' and <= (byte)'9' => body[k] - '0',
                >= (byte)'a' and <= (byte)'f' => body[k] - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => body[k] - 'A' + 10,
                _ => -1,
            };
            if (digit < 0)
            {
                return false;
            }

            value = (value << 4) | digit;
        }

        return true;
    }

    private static BodyScopeException LoneSurrogate()
        => new(400, BodyScopeCodes.InvalidJson, "The body has a \\u escape that is not valid UTF-16 (a lone surrogate).");
}
