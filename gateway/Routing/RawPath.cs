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
    /// encoding (<c>.</c>, <c>..</c>, <c>%2E</c>), backslashes, and a fragment.
    /// </summary>
    public static bool IsUnambiguous(ReadOnlySpan<char> path)
    {
        if (path.Contains('\\') || path.Contains('#'))
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

    private static bool IsDotSegment(ReadOnlySpan<char> segment)
    {
        // ".", "..", and their percent-encoded spellings (%2e, %2E, .%2e, ...).
        var dots = 0;
        var i = 0;
        while (i < segment.Length)
        {
            if (segment[i] == '.')
            {
                i++;
            }
            else if (i + 2 < segment.Length && segment[i] == '%' && segment[i + 1] == '2' && (segment[i + 2] is 'e' or 'E'))
            {
                i += 3;
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
