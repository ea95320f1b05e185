namespace Gateway.Policy.Directory;

/// <summary>
/// The directory's naming alphabet. Names are validated, never cleaned: nothing is trimmed, case-folded
/// or normalized. Entity names (organizations, teams, users, service accounts) are lowercase so that
/// two names cannot differ only in case; project names may mix case but may not start with <c>.</c>,
/// so <c>.</c> and <c>..</c> are never names.
/// </summary>
public static class Names
{
    /// <summary>Longest entity, user or service account name.</summary>
    public const int MaxEntityLength = 64;

    /// <summary>Longest project name.</summary>
    public const int MaxProjectLength = 128;

    /// <summary>Longest email address.</summary>
    public const int MaxEmailLength = 254;

    /// <summary>Longest free-text name (of a key).</summary>
    public const int MaxLabelLength = 100;

    /// <summary><c>[a-z0-9][a-z0-9_-]{0,63}</c>.</summary>
    public static bool IsValidEntity(ReadOnlySpan<char> name)
    {
        if (name.Length is 0 or > MaxEntityLength || !IsLowerAlnum(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!IsLowerAlnum(c) && c is not ('-' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary><c>[A-Za-z0-9][A-Za-z0-9_.-]{0,127}</c>.</summary>
    public static bool IsValidProject(ReadOnlySpan<char> name)
    {
        if (name.Length is 0 or > MaxProjectLength || !char.IsAsciiLetterOrDigit(name[0]))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A plausible address: one <c>@</c> with text on both sides, printable ASCII, no spaces.</summary>
    public static bool IsValidEmail(ReadOnlySpan<char> email)
    {
        if (email.Length is < 3 or > MaxEmailLength)
        {
            return false;
        }

        var at = email.IndexOf('@');
        if (at <= 0 || at == email.Length - 1 || email[(at + 1)..].Contains('@'))
        {
            return false;
        }

        foreach (var c in email)
        {
            if (c is <= ' ' or > '~' or '/' or '\\' or '"' or '<' or '>' or ',' or ';')
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// Free text for labels: 1 to 100 printable characters. No control, format (bidi overrides such as
    /// U+202E, zero-width characters), non-ASCII space, private-use, unassigned or surrogate
    /// characters: a listing must show what is stored, not text that reorders or hides itself.
    /// </summary>
    public static bool IsValidLabel(ReadOnlySpan<char> label)
        => label.Length is > 0 and <= MaxLabelLength && !char.IsWhiteSpace(label[0]) && !char.IsWhiteSpace(label[^1]) && IsPrintable(label);

    /// <summary>Every character prints as itself: see <see cref="IsValidLabel"/>.</summary>
    public static bool IsPrintable(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (c < 0x80 ? c is < ' ' or '\x7f' : !IsPrintableCategory(char.GetUnicodeCategory(c)))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsPrintableCategory(System.Globalization.UnicodeCategory category) => category is not (
        System.Globalization.UnicodeCategory.Control or System.Globalization.UnicodeCategory.Format
        or System.Globalization.UnicodeCategory.Surrogate or System.Globalization.UnicodeCategory.PrivateUse
        or System.Globalization.UnicodeCategory.OtherNotAssigned or System.Globalization.UnicodeCategory.LineSeparator
        or System.Globalization.UnicodeCategory.ParagraphSeparator or System.Globalization.UnicodeCategory.SpaceSeparator);

    private static bool IsLowerAlnum(char c) => c is (>= 'a' and <= 'z') or (>= '0' and <= '9');
}
