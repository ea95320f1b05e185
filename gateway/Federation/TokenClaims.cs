namespace Gateway.Federation;

/// <summary>A token's claims as rules read them: the subject, the audiences, and the top-level string claims.</summary>
internal sealed record TokenClaims(string Subject, string[] Audiences, IReadOnlyDictionary<string, string> Strings)
{
    private static readonly Dictionary<string, string> None = [];

    /// <summary>
    /// The claims some rule names (<paramref name="named"/>), and only those: validated tokens are cached
    /// by the hundred thousand, so the rest of the payload is not kept.
    /// </summary>
    public static TokenClaims Of(JwtPreview preview, IReadOnlySet<string> named)
    {
        if (named.Count == 0)
        {
            return new(preview.Subject, preview.Audiences, None);
        }

        var kept = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in preview.Claims)
        {
            if (named.Contains(name))
            {
                kept[name] = value;
            }
        }

        return new(preview.Subject, preview.Audiences, kept);
    }
}
