namespace Gateway.Federation;

/// <summary>
/// A claim pattern of a federation rule: exact text, except that <c>*</c> matches any run of
/// characters (possibly none) other than <c>:</c> and <c>/</c> (one field of a GitHub or GitLab
/// subject, one segment of a path), and <c>**</c> any run other than <c>:</c> (a branch name with
/// slashes). No wildcard ever crosses <c>:</c>, so <c>repo:acme/*:ref:refs/heads/main</c> cannot
/// match a subject with more fields than it names. There is no escape and no regular expression:
/// the pattern text is only ever read here, by an automaton without backtracking (bit-parallel), so
/// matching costs a few word operations per value character whatever either holds.
/// </summary>
internal sealed class ClaimPattern
{
    public const int MaxLength = 255;

    // Values longer than this never match (a GitHub subject is well under 300 characters).
    public const int MaxValueLength = 1024;

    private readonly Element[] _elements;

    // For Matches, one bit per position in four words (MaxLength elements and the end fit in 256), so a
    // character costs a few word operations per pattern, not one step per position: a directory of many
    // long patterns that a hostile value keeps alive stays cheap to scan for every token.
    private readonly ulong[] _wildcards = new ulong[4];
    private readonly ulong[] _anyButColon = new ulong[4];
    private readonly Dictionary<char, ulong[]> _literals = [];

    private ClaimPattern(string text, Element[] elements)
    {
        Text = text;
        _elements = elements;
        IsExact = elements.All(e => e.Kind == ElementKind.Literal);
        if (IsExact)
        {
            return;
        }

        for (var i = 0; i < elements.Length; i++)
        {
            var e = elements[i];
            var mask = e.Kind == ElementKind.Literal ? _literals.TryGetValue(e.Char, out var m) ? m : _literals[e.Char] = new ulong[4] : _wildcards;
            mask[i / 64] |= 1UL << (i % 64);
            if (e.Kind == ElementKind.AnyButColon)
            {
                _anyButColon[i / 64] |= 1UL << (i % 64);
            }
        }
    }

    public string Text { get; }

    /// <summary>True when the pattern holds no wildcard: it matches its own text only.</summary>
    public bool IsExact { get; }

    /// <summary>The pattern as written in a rule: <c>*</c> and <c>**</c> are wildcards (three or more in a row are refused).</summary>
    public static bool TryParse(string? text, out ClaimPattern pattern, out string error)
    {
        pattern = null!;
        if (string.IsNullOrEmpty(text) || text.Length > MaxLength || !Policy.Directory.Names.IsPrintable(text))
        {
            error = $"must be 1 to {MaxLength} printable characters (no control or format characters)";
            return false;
        }

        var elements = new List<Element>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '*')
            {
                elements.Add(new Element(ElementKind.Literal, text[i]));
                continue;
            }

            var run = 1;
            while (i + run < text.Length && text[i + run] == '*')
            {
                run++;
            }

            if (run > 2)
            {
                error = "may hold * or ** but not three or more * in a row";
                return false;
            }

            // Two wildcards side by side match what the wider one alone does: refused as ambiguous to read.
            if (elements.Count > 0 && elements[^1].Kind != ElementKind.Literal)
            {
                error = "may not put two wildcards side by side";
                return false;
            }

            elements.Add(new Element(run == 2 ? ElementKind.AnyButColon : ElementKind.Segment, '\0'));
            i += run - 1;
        }

        pattern = new ClaimPattern(text, [.. elements]);
        error = "";
        return true;
    }

    /// <summary>A pattern that matches exactly <paramref name="text"/>, asterisks included (an exact-subject account).</summary>
    public static ClaimPattern Literal(string text) => new(text, [.. text.Select(c => new Element(ElementKind.Literal, c))]);

    /// <summary>Parses a pattern already validated when its rule was created.</summary>
    public static ClaimPattern Parse(string text)
        => TryParse(text, out var pattern, out var error) ? pattern : throw new FormatException($"Invalid claim pattern: {error}.");

    public bool Matches(string value)
    {
        if (IsExact)
        {
            return string.Equals(Text, value, StringComparison.Ordinal);
        }

        if (value.Length > MaxValueLength)
        {
            return false;
        }

        // The set of pattern positions reached after each character (a Thompson simulation, bit-parallel,
        // word by word in locals): a literal at i matching the character moves to i + 1, a wildcard at i
        // admitting it stays, and the position after a reached wildcard is reached too (it may match
        // nothing; wildcards are never side by side, so one step covers it).
        var w = _wildcards;
        ulong c0 = 1, c1 = 0, c2 = 0, c3 = 0;
        c0 |= (c0 & w[0]) << 1;
        foreach (var c in value)
        {
            ulong m0 = 0, m1 = 0, m2 = 0, m3 = 0, s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            if (_literals.TryGetValue(c, out var l))
            {
                (m0, m1, m2, m3) = (c0 & l[0], c1 & l[1], c2 & l[2], c3 & l[3]);
            }

            if (c != ':')
            {
                var stay = c == '/' ? _anyButColon : w;
                (s0, s1, s2, s3) = (c0 & stay[0], c1 & stay[1], c2 & stay[2], c3 & stay[3]);
            }

            c0 = (m0 << 1) | s0;
            c1 = (m1 << 1) | (m0 >> 63) | s1;
            c2 = (m2 << 1) | (m1 >> 63) | s2;
            c3 = (m3 << 1) | (m2 >> 63) | s3;
            if ((c0 | c1 | c2 | c3) == 0)
            {
                return false;
            }

            var (k0, k1, k2, k3) = (c0 & w[0], c1 & w[1], c2 & w[2], c3 & w[3]);
            c0 |= k0 << 1;
            c1 |= (k1 << 1) | (k0 >> 63);
            c2 |= (k2 << 1) | (k1 >> 63);
            c3 |= (k3 << 1) | (k2 >> 63);
        }

        var end = _elements.Length;
        var last = (end / 64) switch { 0 => c0, 1 => c1, 2 => c2, _ => c3 };
        return (last & (1UL << (end % 64))) != 0;
    }

    /// <summary>
    /// Whether some string matches both patterns: decided exactly, by searching the pairs of positions
    /// the two can reach together (at most the product of their lengths).
    /// </summary>
    public static bool Intersects(ClaimPattern a, ClaimPattern b)
    {
        var x = a._elements;
        var y = b._elements;
        var seen = new bool[x.Length + 1, y.Length + 1];
        var pending = new Stack<(int I, int J)>();
        pending.Push((0, 0));
        seen[0, 0] = true;
        void Visit(int i, int j)
        {
            if (!seen[i, j])
            {
                seen[i, j] = true;
                pending.Push((i, j));
            }
        }

        while (pending.TryPop(out var at))
        {
            var (i, j) = at;
            if (i == x.Length && j == y.Length)
            {
                return true;
            }

            var p = i < x.Length ? x[i] : (Element?)null;
            var q = j < y.Length ? y[j] : (Element?)null;
            if (p is { Kind: not ElementKind.Literal })
            {
                Visit(i + 1, j);
            }

            if (q is { Kind: not ElementKind.Literal })
            {
                Visit(i, j + 1);
            }

            if (p is not { } pe || q is not { } qe)
            {
                continue;
            }

            if (pe.Kind == ElementKind.Literal && qe.Kind == ElementKind.Literal)
            {
                if (pe.Char == qe.Char)
                {
                    Visit(i + 1, j + 1);
                }
            }
            else if (pe.Kind == ElementKind.Literal)
            {
                // b's wildcard takes a's character and stays.
                if (Admits(qe.Kind, pe.Char))
                {
                    Visit(i + 1, j);
                }
            }
            else if (qe.Kind == ElementKind.Literal && Admits(pe.Kind, qe.Char))
            {
                Visit(i, j + 1);
            }

            // Two wildcards reading a common character stay where they are: nothing new.
        }

        return false;
    }

    private static bool Admits(ElementKind kind, char c) => kind switch
    {
        ElementKind.Segment => c is not (':' or '/'),
        ElementKind.AnyButColon => c != ':',
        _ => false,
    };

    public override string ToString() => Text;

    private enum ElementKind : byte
    {
        Literal,
        Segment,
        AnyButColon,
    }

    private readonly record struct Element(ElementKind Kind, char Char);
}
