using Gateway.GraphQL.Scope;
using System.Collections.Frozen;
using System.Text;
using Gateway.Authentication;
using Gateway.BodyScope;
using Gateway.Federation;
using Gateway.Keys;
using Gateway.Policy.Model;
using Gateway.Routing;
using Microsoft.AspNetCore.Http;

namespace Gateway.Fuzz;

/// <summary>
/// The fuzzed entry points. Each takes raw bytes and may refuse them in its documented way (a false
/// result, a <see cref="BodyScopeException"/>); any other exception is a crash. The same functions
/// replay the corpora and every crash ever found in the test suite (<c>FuzzRegressionTests</c>).
/// </summary>
public static class FuzzTargets
{
    public static readonly IReadOnlyDictionary<string, Action<byte[]>> All = new Dictionary<string, Action<byte[]>>
    {
        ["credential"] = Credential,
        ["keyformat"] = KeyFormat,
        ["path"] = Path,
        ["graphql"] = GraphQl,
        ["graphqltypes"] = GraphQlTypeReference.Run,
        ["graphqlplan"] = GraphQlPlanReference.Run,
        ["json"] = Json,
        ["jwt"] = Jwt,
        ["multipart"] = Multipart,
        ["mediatype"] = MediaTypeCharset,
    };

    // Gateway objects are made on first use, never in a static constructor: instrumented code must not
    // run before the fuzzer has set up its shared memory.
    private static ApiKeyFormat? _format;
    private static AccessTokenFormat? _tokens;
    private static BodyLimits? _graphQlLimits;
    private static BodyLimits? _jsonLimits;

    private static ApiKeyFormat Format => _format ??= new("gw");

    private static AccessTokenFormat Tokens => _tokens ??= new("gw");

    private static BodyLimits GraphQlLimits => _graphQlLimits ??= new()
    {
        MaxBytes = BodyLimits.DefaultGraphQlBytes, MaxDecompressedBytes = BodyLimits.DefaultGraphQlBytes,
        EntityNames = BodyLimits.DefaultEntityNames.ToFrozenSet(StringComparer.Ordinal),
        ProjectNames = BodyLimits.DefaultProjectNames.ToFrozenSet(StringComparer.Ordinal),
    };

    private static BodyLimits JsonLimits => _jsonLimits ??= new() { MaxBytes = BodyLimits.DefaultJsonBytes, MaxDecompressedBytes = BodyLimits.DefaultJsonBytes };

    /// <summary>Header lines (name: value, one per line) then an optional query string after a blank line.</summary>
    public static void Credential(byte[] input)
    {
        var text = Encoding.Latin1.GetString(input);
        var context = new DefaultHttpContext();
        var parts = text.Split("\n\n", 2);
        foreach (var line in parts[0].Split('\n'))
        {
            var colon = line.IndexOf(':');
            if (colon > 0)
            {
                context.Request.Headers.Append(line[..colon], line[(colon + 1)..].Trim());
            }
        }

        if (parts.Length == 2 && parts[1].Length > 0)
        {
            context.Request.QueryString = new QueryString("?" + parts[1].TrimStart('?'));
        }

        var credential = CredentialExtractor.Extract(context.Request);
        if (credential.Status == CredentialStatus.Present && credential.Value is null)
        {
            throw new InvalidOperationException("A present credential without a value.");
        }

        _ = credential.IsJwtShaped;
    }

    public static void KeyFormat(byte[] input)
    {
        var text = Encoding.Latin1.GetString(input);
        var shape = Format.Classify(text, out var keyId);
        if (shape == KeyShape.Standard && keyId.Length != ApiKeyFormat.StandardIdLength)
        {
            throw new InvalidOperationException("A standard key with an id of the wrong length.");
        }

        _ = Tokens.IsAccessToken(text, out _);
        if (text.Length <= KeyHash.MaxKeyLength && Ascii.IsValid(text))
        {
            _ = KeyHash.Of(text);
        }
    }

    public static void Path(byte[] input)
    {
        var text = Encoding.Latin1.GetString(input);
        if (RawPath.IsUnambiguous(text))
        {
            // A backslash in any spelling, or a dot segment behind an encoded slash, never passes.
            if (text.Contains('\\') || text.Contains("%5c", StringComparison.OrdinalIgnoreCase) || text.Contains("%u005c", StringComparison.OrdinalIgnoreCase)
                || System.Text.RegularExpressions.Regex.IsMatch(text, @"(^|/|%2f|%252f)(\.|%2e|%252e|%u002e){1,2}(%2f|%252f)", System.Text.RegularExpressions.RegexOptions.IgnoreCase))
            {
                throw new InvalidOperationException("An encoded backslash or a dot segment behind an encoded slash passed.");
            }

            for (var i = 0; i < 8; i++)
            {
                _ = RawPath.Segment(text, i);
            }
        }

        try
        {
            _ = ProjectId.Parse(text, "fuzz");
        }
        catch (BodyScopeException)
        {
        }
    }

    public static void GraphQl(byte[] input)
    {
        try
        {
            _ = GraphQlScopeExtractor.Extract(input, GraphQlLimits);
        }
        catch (BodyScopeException)
        {
        }
    }

    public static void Json(byte[] input)
    {
        try
        {
            _ = JsonScopeExtractor.Extract(input, JsonLimits, AccessAction.Write);
        }
        catch (BodyScopeException)
        {
        }
    }

    private static BodyLimits? _multipartLimits;

    private static BodyLimits MultipartLimits => _multipartLimits ??= new() { MaxBytes = BodyLimits.DefaultJsonBytes, MaxDecompressedBytes = BodyLimits.DefaultJsonBytes };

    /// <summary>The first line is the Content-Type, the rest the body. A body that passes has no control character (HTAB aside) in any part header line.</summary>
    public static void Multipart(byte[] input)
    {
        var newline = Array.IndexOf(input, (byte)'\n');
        var contentType = Encoding.Latin1.GetString(input, 0, newline < 0 ? input.Length : newline);
        var body = newline < 0 ? [] : input[(newline + 1)..];
        try
        {
            var references = MultipartScopeExtractor.ExtractAsync(body, contentType, MultipartLimits, AccessAction.Write).GetAwaiter().GetResult();
            if (references.Count > 1)
            {
                throw new InvalidOperationException("A multipart body passed with two project_id parts.");
            }
        }
        catch (BodyScopeException)
        {
        }
    }

    /// <summary>A content type that passes the charset rule names "charset" at most once, and then as utf-8.</summary>
    public static void MediaTypeCharset(byte[] input)
    {
        var text = Encoding.Latin1.GetString(input);
        if (!Diagnostics.MediaType.IsUtf8OrUnstated(text))
        {
            return;
        }

        var semicolon = text.IndexOf(';');
        var parameters = semicolon < 0 ? "" : text[(semicolon + 1)..];
        var at = parameters.IndexOf("charset", StringComparison.OrdinalIgnoreCase);
        if (at >= 0 && (parameters.IndexOf("charset", at + 1, StringComparison.OrdinalIgnoreCase) >= 0
            || !System.Text.RegularExpressions.Regex.IsMatch(parameters[at..], "^charset[ \t]*=[ \t]*\"?utf-8(\"|[ \t]*(;|$))", System.Text.RegularExpressions.RegexOptions.IgnoreCase)))
        {
            throw new InvalidOperationException("A content type passed with a charset other than one utf-8.");
        }
    }

    public static void Jwt(byte[] input)
    {
        var text = Encoding.Latin1.GetString(input);
        if (JwtPreParser.TryParse(text, 16 * 1024, out var preview, out _) && (preview.Issuer.Length == 0 || preview.Subject.Length == 0))
        {
            throw new InvalidOperationException("A JWT preview without issuer or subject.");
        }

        _ = TokenRequestForm.TryParse(input, out _);
    }
}
