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
}
