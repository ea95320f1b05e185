using System.Globalization;

namespace Gateway.Federation;

/// <summary>A value a token's sender chose, as logged: cut short, and every character that would not print as itself replaced.</summary>
internal static class LogText
{
    /// <summary>
    /// At most <paramref name="max"/> characters (then an ellipsis); control characters, and the format and
    /// separator characters log viewers act on (a line separator starting a forged line, a right-to-left
    /// override reordering one), become '?'. Branch names, and so GitHub subjects, may hold any of them.
    /// </summary>
    public static string Printable(string value, int max)
    {
        var text = value.Length > max ? value[..max] + "…" : value;
        var chars = text.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
        {
            // A surrogate pair is judged as the one character it encodes; a lone surrogate is refused.
            var pair = char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1]);
            if (CharUnicodeInfo.GetUnicodeCategory(text, i) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate)
            {
                chars[i] = '?';
                if (pair)
                {
                    chars[++i] = '?';
                }
            }
            else if (pair)
            {
                i++;
            }
        }

        return new string(chars);
    }
}
