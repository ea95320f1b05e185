using System.Text;
using Gateway.Policy.Model;
using Microsoft.AspNetCore.WebUtilities;

namespace Gateway.BodyScope;

/// <summary>
/// Weave's <c>file/create</c>: the <c>project_id</c> form field of a multipart body. Read only when
/// every common parser would split and name the parts the same way: one <c>boundary</c> parameter
/// (with two, the gateway's reader used the first and Python's the last), each part one
/// <c>Content-Disposition</c> with one plain <c>name</c> (no <c>name*</c>: RFC 5987 names win in some
/// parsers and are ignored by others), and the scope field exactly once, as a plain field. Part
/// header lines hold no control character but HTAB, in any part.
/// </summary>
internal static class MultipartScopeExtractor
{
    private const int MaxFieldBytes = 1024;
    private const int MaxBoundaryLength = 200;

    public static async Task<List<ScopeReference>> ExtractAsync(ReadOnlyMemory<byte> body, string? contentType, BodyLimits limits, AccessAction action)
    {
        var boundary = Boundary(contentType);
        CheckDelimiters(body.Span, boundary);
        var field = limits.ProjectIdField;
        var references = new List<ScopeReference>();
        var reader = new MultipartReader(boundary, new MemoryStream(body.ToArray(), writable: false)) { BodyLengthLimit = limits.MaxBytes };
        try
        {
            MultipartSection? section;
            while ((section = await reader.ReadNextSectionAsync()) is not null)
            {
                var headers = section.Headers ?? throw Malformed("A part has no headers.");
                foreach (var header in headers)
                {
                    // The reader ends a header line only at CRLF; a bare CR or LF (or any other control
                    // character) stays inside the value here, while Werkzeug and others split the line
                    // there: "name=project_id\rX: y" would hide a project_id part from the gateway.
                    if (!Authorization.HeaderSyntax.IsValid(header.Key, header.Value))
                    {
                        throw Malformed("A part header has a control character or an invalid name.");
                    }
                }

                if (!headers.TryGetValue("Content-Disposition", out var dispositions) || dispositions.Count != 1)
                {
                    throw Ambiguous("Each part has exactly one Content-Disposition header.");
                }

                var disposition = FormDisposition.Parse(dispositions[0]!);
                if (PropertyFolding.IsVariantOf(disposition.Name, field))
                {
                    throw Ambiguous($"A part name differs from '{field}' only in case.");
                }

                if (disposition.Name != field)
                {
                    continue;
                }

                if (references.Count > 0)
                {
                    throw Ambiguous($"'{field}' is given more than once (parsers differ on which one counts).");
                }

                if (disposition.HasFileName || headers.ContainsKey("Content-Transfer-Encoding")
                    || (headers.TryGetValue("Content-Type", out var type) && !IsPlainText(type.ToString())))
                {
                    throw Ambiguous($"'{field}' must be a plain form field (no file name, transfer encoding or non-UTF-8 type).");
                }

                var buffer = new byte[MaxFieldBytes + 1];
                var length = await section.Body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false);
                if (length > MaxFieldBytes)
                {
                    throw new BodyScopeException(400, BodyScopeCodes.InvalidScope, $"'{field}' is too long.");
                }

                var (entity, project) = ProjectId.Parse(Encoding.UTF8.GetString(buffer, 0, length), field);
                references.Add(new ScopeReference(entity, project, action));
            }
        }
        catch (IOException)
        {
            throw Malformed("The multipart body is malformed.");
        }
        catch (InvalidDataException)
        {
            throw Malformed("The multipart body is malformed.");
        }

        return references;
    }

    /// <summary>
    /// Every occurrence of <c>--boundary</c> in the body must be a delimiter line exactly as RFC 2046
    /// writes it: at the start of the body or after CRLF, and followed by CRLF, or by <c>--</c> (the
    /// close) and then CRLF or the end. ASP.NET's reader knows delimiters only after CRLF and skips any
    /// text after one up to the next CRLF; Werkzeug also splits at a bare LF or CR and wants only
    /// whitespace after it. So <c>x\n--AAA</c> inside a part's data, or <c>--AAA\nContent-Disposition:
    /// ...</c>, starts a part for one parser that the other never sees. A boundary string a part
    /// merely contains is refused too: clients choose boundaries that their data does not contain.
    /// </summary>
    internal static void CheckDelimiters(ReadOnlySpan<byte> body, string boundary)
    {
        Span<byte> marker = stackalloc byte[boundary.Length + 2];
        marker[0] = (byte)'-';
        marker[1] = (byte)'-';
        Encoding.ASCII.GetBytes(boundary, marker[2..]);
        var offset = 0;
        while (true)
        {
            var found = body[offset..].IndexOf(marker);
            if (found < 0)
            {
                return;
            }

            var at = offset + found;
            var after = body[(at + marker.Length)..];
            var lineStart = at == 0 || (at >= 2 && body[at - 2] == '\r' && body[at - 1] == '\n');
            var lineEnd = after.StartsWith("\r\n"u8)
                || (after.StartsWith("--"u8) && (after.Length == 2 || after[2..].StartsWith("\r\n"u8)));
            if (!lineStart || !lineEnd)
            {
                throw Ambiguous("A boundary appears other than as a delimiter line of its own (CRLF before it, CRLF or '--' after it).");
            }

            offset = at + marker.Length;
        }
    }

    /// <summary>The one <c>boundary</c> parameter of the content type.</summary>
    internal static string Boundary(string? contentType)
    {
        string? boundary = null;
        var count = 0;
        foreach (var (name, value) in HeaderParameters.Parse(contentType ?? "", skipFirst: true))
        {
            if (name.StartsWith("boundary", StringComparison.OrdinalIgnoreCase)
                && (name.Length == "boundary".Length || name["boundary".Length] == '*'))
            {
                // boundary*, boundary*0, boundary*1*: RFC 2231 forms some parsers join and others ignore.
                count++;
                boundary = name.Length == "boundary".Length ? value : null;
            }
        }

        if (count > 1)
        {
            throw Ambiguous("The content type has more than one boundary parameter.");
        }

        return boundary is { Length: > 0 and <= MaxBoundaryLength }
            ? boundary
            : throw Malformed("A multipart body needs one boundary parameter of 1 to 200 characters.");
    }

    private static bool IsPlainText(string contentType)
    {
        var parameters = HeaderParameters.Parse(contentType, skipFirst: true).ToList();
        return Diagnostics.MediaType.Is(contentType, "text/plain")
            && parameters.All(p => !p.Name.Equals("charset", StringComparison.OrdinalIgnoreCase) || p.Value.ToLowerInvariant() is "utf-8" or "us-ascii");
    }

    internal static BodyScopeException Ambiguous(string detail) => new(400, BodyScopeCodes.AmbiguousMultipart, detail);

    internal static BodyScopeException Malformed(string detail) => new(400, BodyScopeCodes.InvalidMultipart, detail);
}

/// <summary>A part's <c>Content-Disposition: form-data</c>: its one plain name, and whether it names a file.</summary>
internal readonly record struct FormDisposition(string Name, bool HasFileName)
{
    public static FormDisposition Parse(string header)
    {
        var semicolon = header.IndexOf(';');
        var type = (semicolon < 0 ? header : header[..semicolon]).Trim();
        if (!type.Equals("form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw MultipartScopeExtractor.Ambiguous("Each part is form-data.");
        }

        string? name = null;
        var names = 0;
        var file = false;
        foreach (var (key, value) in HeaderParameters.Parse(header, skipFirst: true))
        {
            switch (key.ToLowerInvariant())
            {
                case "name":
                    names++;
                    name = value;
                    break;
                case var star when star.StartsWith("name*", StringComparison.Ordinal):
                    // name*, and RFC 2231 continuations name*0, name*1*: joined by some parsers, ignored by others.
                    throw MultipartScopeExtractor.Ambiguous("A part is named with name* or a continuation: parsers differ on which name wins.");
                case "filename" or "filename*":
                    file = true;
                    break;
            }
        }

        if (names != 1 || name is null || name.Contains('\\'))
        {
            throw MultipartScopeExtractor.Ambiguous("Each part has exactly one plain name parameter.");
        }

        return new FormDisposition(name, file);
    }
}

/// <summary>
/// <c>type; a=b; c="d"</c> parameters, strictly: every parameter is <c>token=token</c> or
/// <c>token="quoted"</c>; anything else (a stray quote, an empty name, text after a quoted value) is
/// malformed, because lenient parsers repair such headers in different ways.
/// </summary>
internal static class HeaderParameters
{
    private static readonly System.Buffers.SearchValues<char> TokenCharacters =
        System.Buffers.SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    public static IEnumerable<(string Name, string Value)> Parse(string header, bool skipFirst)
    {
        var result = new List<(string, string)>();
        var i = 0;
        if (skipFirst)
        {
            i = header.IndexOf(';');
            if (i < 0)
            {
                return result;
            }
        }

        while (i < header.Length)
        {
            if (header[i] == ';')
            {
                i++;
            }

            while (i < header.Length && header[i] is ' ' or '\t')
            {
                i++;
            }

            if (i >= header.Length)
            {
                break;
            }

            var eq = header.IndexOf('=', i);
            if (eq < 0)
            {
                throw MultipartScopeExtractor.Malformed("A header parameter has no value.");
            }

            var name = header[i..eq].Trim();
            if (name.Length == 0 || name.Any(c => c is '"' or ';' or ' ' or '\t' || char.IsControl(c)))
            {
                throw MultipartScopeExtractor.Malformed("A header parameter has an invalid name.");
            }

            i = eq + 1;
            string value;
            if (i < header.Length && header[i] == '"')
            {
                var builder = new System.Text.StringBuilder();
                i++;
                while (true)
                {
                    if (i >= header.Length)
                    {
                        throw MultipartScopeExtractor.Malformed("A quoted header parameter is not closed.");
                    }

                    var c = header[i++];
                    if (c == '"')
                    {
                        break;
                    }

                    if (c == '\\')
                    {
                        // Escapes are kept literally: a backslash in a name is refused by the caller.
                        builder.Append(c);
                        if (i < header.Length)
                        {
                            builder.Append(header[i++]);
                        }

                        continue;
                    }

                    builder.Append(c);
                }

                value = builder.ToString();
                while (i < header.Length && header[i] is ' ' or '\t')
                {
                    i++;
                }

                if (i < header.Length && header[i] != ';')
                {
                    throw MultipartScopeExtractor.Malformed("Text follows a quoted header parameter.");
                }
            }
            else
            {
                var end = header.IndexOf(';', i);
                value = (end < 0 ? header[i..] : header[i..end]).Trim();
                if (value.Contains('"'))
                {
                    throw MultipartScopeExtractor.Malformed("A header parameter has a stray quote.");
                }

                // An unquoted value is an RFC 9110 token: Werkzeug ends it at the first other character
                // ("name=project_id@x" is project_id there, "boundary=AAA=BBB" is AAA), ASP.NET does not.
                if (value.AsSpan().ContainsAnyExcept(TokenCharacters))
                {
                    throw MultipartScopeExtractor.Ambiguous("An unquoted header parameter holds a character outside a token: quote it.");
                }

                i = end < 0 ? header.Length : end;
            }

            result.Add((name, value));
        }

        return result;
    }
}
