using System.Buffers;
using Microsoft.Extensions.Primitives;

namespace Gateway.Authorization;

/// <summary>
/// Header syntax Kestrel lets through but an upstream may read differently: a name must be an RFC
/// 9110 token; a value may not hold control characters (HTAB aside). Vectorized: a few nanoseconds
/// for a typical request.
/// </summary>
internal static class HeaderSyntax
{
    private static readonly SearchValues<char> Token = SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    private static readonly SearchValues<char> Controls = SearchValues.Create(
        "\0\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u000A\u000B\u000C\u000D\u000E\u000F\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F\u007F");

    public static bool IsValid(string name, StringValues values)
    {
        if (name.Length == 0 || name.AsSpan().ContainsAnyExcept(Token))
        {
            return false;
        }

        foreach (var value in values)
        {
            if (value is not null && value.AsSpan().ContainsAny(Controls))
            {
                return false;
            }
        }

        return true;
    }
}
