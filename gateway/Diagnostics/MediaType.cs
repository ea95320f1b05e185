namespace Gateway.Diagnostics;

internal static class MediaType
{
    /// <summary>True when <paramref name="contentType"/> is <paramref name="expected"/>, parameters (charset, boundary) aside.</summary>
    public static bool Is(string? contentType, string expected)
    {
        var media = contentType.AsSpan();
        var semicolon = media.IndexOf(';');
        if (semicolon >= 0)
        {
            media = media[..semicolon];
        }

        return media.Trim().Equals(expected, StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// True when the content type declares no charset or exactly one <c>charset=utf-8</c> (any case,
    /// quoted or not). Anything else is false: another charset (Express's body-parser decodes
    /// <c>utf-7</c>, <c>utf-16</c> or <c>latin1</c> bodies, where <c>+ACI-</c> is a quote, so the
    /// upstream would read properties the gateway never saw), two charsets, or parameters too
    /// malformed to tell.
    /// </summary>
    public static bool IsUtf8OrUnstated(string? contentType)
    {
        var rest = contentType.AsSpan();
        var semicolon = rest.IndexOf(';');
        if (semicolon < 0)
        {
            return true;
        }

        rest = rest[(semicolon + 1)..];
        // "charset" anywhere else (inside a quoted value, in a malformed parameter) is refused too: a
        // lenient parser may find it there, and no real client writes it.
        if (Occurrences(rest, "charset") > 1)
        {
            return false;
        }

        var charsets = 0;
        while (true)
        {
            rest = rest.TrimStart(" \t");
            if (rest.IsEmpty)
            {
                return true;
            }

            var equals = rest.IndexOf('=');
            var end = rest.IndexOf(';');
            if (equals < 0 || (end >= 0 && end < equals))
            {
                // A parameter without a value: skip it, unless it could be a charset another parser reads.
                var bare = end < 0 ? rest : rest[..end];
                if (bare.Contains("charset", StringComparison.OrdinalIgnoreCase))
                {
                    return false;
                }

                if (end < 0)
                {
                    return true;
                }

                rest = rest[(end + 1)..];
                continue;
            }

            var name = rest[..equals].Trim(" \t");
            rest = rest[(equals + 1)..].TrimStart(" \t");
            ReadOnlySpan<char> value;
            var escaped = false;
            if (!rest.IsEmpty && rest[0] == '"')
            {
                var close = 1;
                while (close < rest.Length && rest[close] != '"')
                {
                    escaped |= rest[close] == '\\';
                    close += rest[close] == '\\' ? 2 : 1;
                }

                if (close >= rest.Length)
                {
                    return false; // an unclosed quote: parsers repair it differently
                }

                value = rest[1..close];
                rest = rest[(close + 1)..].TrimStart(" \t");
                if (!rest.IsEmpty && rest[0] != ';')
                {
                    return false;
                }
            }
            else
            {
                end = rest.IndexOf(';');
                value = (end < 0 ? rest : rest[..end]).Trim(" \t");
                rest = end < 0 ? default : rest[end..];
            }

            if (name.Equals("charset", StringComparison.OrdinalIgnoreCase))
            {
                if (++charsets > 1 || escaped || !value.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
                {
                    return false;
                }
            }
            else if (name.Contains("charset", StringComparison.OrdinalIgnoreCase) || value.Contains("charset", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }

            if (!rest.IsEmpty && rest[0] == ';')
            {
                rest = rest[1..];
            }
        }
    }

    private static int Occurrences(ReadOnlySpan<char> text, string word)
    {
        var count = 0;
        int at;
        while ((at = text.IndexOf(word, StringComparison.OrdinalIgnoreCase)) >= 0)
        {
            count++;
            text = text[(at + word.Length)..];
        }

        return count;
    }
}
