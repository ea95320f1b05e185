using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Gateway.Routing;

/// <summary>
/// The request target exactly as the client sent it. Kestrel's <c>Request.Path</c> is decoded and
/// dot-normalized (<c>%2F</c> and <c>%252F</c> look the same there), so decisions about entity and
/// project segments are made on these bytes instead.
/// </summary>
internal static class RawPath
{
    /// <summary>The raw path without the query; false for anything but origin-form (<c>/...</c>).</summary>
    public static bool TryGet(HttpContext context, out ReadOnlySpan<char> path)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw) || raw[0] != '/')
        {
            path = default;
            return false;
        }

        var span = raw.AsSpan();
        var query = span.IndexOf('?');
        path = query >= 0 ? span[..query] : span;
        return true;
    }

    /// <summary>
    /// Refuses what two servers could read differently: empty segments (<c>//</c>), dot segments in any
    /// encoding (<c>.</c>, <c>..</c>, <c>%2E</c>, <c>%252E</c>, <c>%u002E</c>), backslashes in any
    /// encoding (<c>\</c>, <c>%5C</c>, <c>%255C</c>, <c>%u005C</c>: Windows servers, IIS and Tomcat's
    /// <c>ALLOW_BACKSLASH</c> read them as <c>/</c>, so <c>..%5C..%5Cother</c> climbs out of a project),
    /// a dot segment hidden behind an encoded slash (<c>..%2F</c>: servers that decode <c>%2F</c> before
    /// resolving dots climb there too), a fragment, NUL, and path parameters: <c>;</c> raw or encoded
    /// anywhere, because Tomcat, Jetty and Spring strip <c>;params</c> from each segment before
    /// resolving dots (<c>/a/..;/b</c> is <c>/b</c> there).
    /// </summary>
    public static bool IsUnambiguous(ReadOnlySpan<char> path)
    {
        if (path.IndexOfAny(Forbidden) >= 0)
        {
            return false;
        }

        if (HidesEncoded(path))
        {
            return false;
        }

        var rest = path[1..];
        while (true)
        {
            var slash = rest.IndexOf('/');
            var segment = slash < 0 ? rest : rest[..slash];
            if (slash >= 0 && segment.IsEmpty)
            {
                return false;
            }

            if (IsDotSegment(segment))
            {
                return false;
            }

            if (slash < 0)
            {
                return true;
            }

            rest = rest[(slash + 1)..];
        }
    }

    /// <summary>
    /// The same rules on the path once decoded (Kestrel's <c>Request.Path</c>), which is what YARP
    /// re-encodes and sends: <c>%25%35%43</c> passes the raw check as plain percent signs, and reaches
    /// the upstream as <c>%255C</c>, the double-encoded backslash the raw check refuses. Only the
    /// encoded spellings and dot segments are checked here; characters the raw path may carry encoded
    /// (<c>%23</c>, <c>%3F</c>) are forwarded encoded again.
    /// </summary>
    public static bool IsUnambiguousDecoded(ReadOnlySpan<char> decoded)
    {
        if (decoded.Contains('\\') || decoded.Contains(';') || decoded.Contains('\0'))
        {
            return false;
        }

        if (HidesEncoded(decoded))
        {
            return false;
        }

        var rest = decoded;
        while (!rest.IsEmpty)
        {
            var slash = rest.IndexOf('/');
            if (IsDotSegment(slash < 0 ? rest : rest[..slash]))
            {
                return false;
            }

            rest = slash < 0 ? default : rest[(slash + 1)..];
        }

        return true;
    }

    /// <summary>The raw segment at template index <paramref name="index"/> (0 = first segment after the leading slash).</summary>
    public static ReadOnlySpan<char> Segment(ReadOnlySpan<char> path, int index)
    {
        var rest = path[1..];
        for (var i = 0; i < index; i++)
        {
            var slash = rest.IndexOf('/');
            if (slash < 0)
            {
                return default;
            }

            rest = rest[(slash + 1)..];
        }

        var end = rest.IndexOf('/');
        return end < 0 ? rest : rest[..end];
    }

    // ';', NUL or '\' spelled encoded (once, twice, or IIS's %u), or a dot segment behind an encoded
    // slash. Only a path with '%' can hide anything encoded; the common path skips these searches.
    private static bool HidesEncoded(ReadOnlySpan<char> path)
        => path.Contains('%')
            && (path.Contains("%3b", StringComparison.OrdinalIgnoreCase)
                || path.Contains("%253b", StringComparison.OrdinalIgnoreCase)
                || path.Contains("%00", StringComparison.Ordinal)
                || path.Contains("%5c", StringComparison.OrdinalIgnoreCase)
                || path.Contains("%255c", StringComparison.OrdinalIgnoreCase)
                || path.Contains("%u005c", StringComparison.OrdinalIgnoreCase)
                || HidesDotSegment(path));

    // A segment such as "..%2F..%2Fother" is one segment to Kestrel and to the gateway, and three
    // (two of them "..") to a server that decodes %2F (or a double-encoded %252F) before resolving dots.
    private static bool HidesDotSegment(ReadOnlySpan<char> path)
    {
        var rest = path;
        while (!rest.IsEmpty)
        {
            var end = rest.IndexOf('/');
            var segment = end < 0 ? rest : rest[..end];
            rest = end < 0 ? default : rest[(end + 1)..];
            if (!segment.Contains("%2f", StringComparison.OrdinalIgnoreCase) && !segment.Contains("%252f", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            while (!segment.IsEmpty)
            {
                var slash = EncodedSlash(segment, out var width);
                var piece = slash < 0 ? segment : segment[..slash];
                if (IsDotSegment(piece))
                {
                    return true;
                }

                segment = slash < 0 ? default : segment[(slash + width)..];
            }
        }

        return false;
    }

    private static int EncodedSlash(ReadOnlySpan<char> segment, out int width)
    {
        var single = segment.IndexOf("%2f", StringComparison.OrdinalIgnoreCase);
        var twice = segment.IndexOf("%252f", StringComparison.OrdinalIgnoreCase);
        if (twice >= 0 && (single < 0 || twice < single))
        {
            width = 5;
            return twice;
        }

        width = 3;
        return single;
    }

    private static readonly System.Buffers.SearchValues<char> Forbidden = System.Buffers.SearchValues.Create("\\#;\0");

    private static bool IsDotSegment(ReadOnlySpan<char> segment)
    {
        // ".", "..", and their encoded spellings: %2e, %2E, .%2e, double-encoded %252e, IIS's %u002e.
        var dots = 0;
        var i = 0;
        while (i < segment.Length)
        {
            var rest = segment[i..];
            if (rest[0] == '.')
            {
                i++;
            }
            else if (rest.StartsWith("%2e", StringComparison.OrdinalIgnoreCase))
            {
                i += 3;
            }
            else if (rest.StartsWith("%252e", StringComparison.OrdinalIgnoreCase))
            {
                i += 5;
            }
            else if (rest.StartsWith("%u002e", StringComparison.OrdinalIgnoreCase))
            {
                i += 6;
            }
            else
            {
                return false;
            }

            dots++;
        }

        return dots is 1 or 2;
    }
}
