using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Gateway.Federation;

/// <summary>
/// The <c>application/x-www-form-urlencoded</c> body of a token request, parsed strictly: every
/// parameter at most once (RFC 6749 section 3.2), valid percent-encoding, ASCII only.
/// </summary>
internal sealed record TokenRequestForm(string? GrantType, string? Assertion)
{
    public static bool TryParse(ReadOnlySpan<byte> body, [NotNullWhen(true)] out TokenRequestForm? form)
    {
        form = null;
        if (!Ascii.IsValid(body))
        {
            return false;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        string? grantType = null;
        string? assertion = null;
        var rest = Encoding.ASCII.GetString(body).AsSpan();
        while (!rest.IsEmpty)
        {
            var amp = rest.IndexOf('&');
            var pair = amp < 0 ? rest : rest[..amp];
            rest = amp < 0 ? default : rest[(amp + 1)..];
            if (pair.IsEmpty)
            {
                continue;
            }

            var eq = pair.IndexOf('=');
            if (!TryDecode(eq < 0 ? pair : pair[..eq], out var name) || !TryDecode(eq < 0 ? default : pair[(eq + 1)..], out var value)
                || !seen.Add(name))
            {
                return false;
            }

            switch (name)
            {
                case "grant_type": grantType = value; break;
                case "assertion": assertion = value; break;
            }
        }

        form = new TokenRequestForm(grantType, assertion);
        return true;
    }

    private static bool TryDecode(ReadOnlySpan<char> text, out string value)
    {
        value = "";
        if (text.IsEmpty)
        {
            return true;
        }

        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '%' && (i + 2 >= text.Length || !char.IsAsciiHexDigit(text[i + 1]) || !char.IsAsciiHexDigit(text[i + 2])))
            {
                return false;
            }
        }

        value = Uri.UnescapeDataString(text.ToString().Replace('+', ' '));
        return true;
    }
}
