namespace Gateway.BodyScope;

/// <summary>
/// Property names another parser would take for one the gateway reads. Go's <c>encoding/json</c>
/// matches struct fields with <c>bytes.EqualFold</c> (Unicode simple folding, last match wins), so for
/// a Go server <c>"Query"</c>, <c>"PROJECT_ID"</c> and <c>"variableſ"</c> (U+017F folds to s) are
/// <c>query</c>, <c>project_id</c> and <c>variables</c>. A name that folds to a meaningful one without
/// being it is refused, never ignored.
/// </summary>
internal static class PropertyFolding
{
    /// <summary>True when <paramref name="name"/> folds to <paramref name="known"/> but is not exactly it.</summary>
    public static bool IsVariantOf(ReadOnlySpan<char> name, ReadOnlySpan<char> known)
    {
        if (name.Length != known.Length || name.SequenceEqual(known))
        {
            return false;
        }

        for (var i = 0; i < name.Length; i++)
        {
            if (Fold(name[i]) != Fold(known[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>True when <paramref name="name"/> is <paramref name="known"/> or folds to it.</summary>
    public static bool Folds(ReadOnlySpan<char> name, ReadOnlySpan<char> known) => name.SequenceEqual(known) || IsVariantOf(name, known);

    /// <summary>UTF-8 form of <see cref="IsVariantOf(ReadOnlySpan{char}, ReadOnlySpan{char})"/>; cheap when the lengths rule it out.</summary>
    public static bool IsVariantOf(ReadOnlySpan<byte> utf8Name, string known)
    {
        // Each folding character is at most 3 UTF-8 bytes (U+212A); a name far longer or shorter cannot fold to it.
        if (utf8Name.Length < known.Length || utf8Name.Length > known.Length * 3)
        {
            return false;
        }

        // The hot path (every property of every JSON body): ASCII folds within ASCII and keeps the length.
        if (System.Text.Ascii.IsValid(utf8Name))
        {
            return utf8Name.Length == known.Length && System.Text.Ascii.EqualsIgnoreCase(utf8Name, known) && !System.Text.Ascii.Equals(utf8Name, known);
        }

        Span<char> chars = stackalloc char[known.Length * 3];
        var length = System.Text.Encoding.UTF8.GetChars(utf8Name, chars);
        return IsVariantOf(chars[..length], known);
    }

    // Simple case folding for the characters that can fold into ASCII names: ASCII and Latin letters
    // by ToLowerInvariant, plus the two non-ASCII members of ASCII orbits (long s, Kelvin sign).
    private static char Fold(char c) => c switch
    {
        '\u017F' => 's',
        '\u212A' => 'k',
        _ => char.ToLowerInvariant(c),
    };
}
