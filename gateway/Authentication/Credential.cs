namespace Gateway.Authentication;

/// <summary>What the extractor found in a request.</summary>
internal enum CredentialStatus
{
    /// <summary>No credential anywhere.</summary>
    None,
    /// <summary>Exactly one credential, in <see cref="Credential.Value"/>.</summary>
    Present,
    /// <summary>Two different credentials (or one header twice): 400.</summary>
    Ambiguous,
    /// <summary>A credential-named query parameter: 400, and the query string is never logged.</summary>
    InQuery,
    /// <summary>An Authorization header that is not Basic or Bearer, bad base64, no <c>:</c>: 401.</summary>
    Malformed,
}

/// <summary>Where a credential came from.</summary>
internal enum CredentialSource
{
    None,
    Basic,
    Bearer,
    ApiKeyHeader,
}

/// <summary>The one credential of a request, or why there is none.</summary>
internal readonly record struct Credential(CredentialStatus Status, string? Value, CredentialSource Source)
{
    public static readonly Credential Missing = new(CredentialStatus.None, null, CredentialSource.None);
    public static readonly Credential AmbiguousCredential = new(CredentialStatus.Ambiguous, null, CredentialSource.None);
    public static readonly Credential QueryCredential = new(CredentialStatus.InQuery, null, CredentialSource.None);
    public static readonly Credential MalformedCredential = new(CredentialStatus.Malformed, null, CredentialSource.None);

    /// <summary>Three base64url segments separated by dots: a JWT, for the federation path.</summary>
    public bool IsJwtShaped
    {
        get
        {
            if (Value is null)
            {
                return false;
            }

            var segments = 0;
            var length = 0;
            foreach (var c in Value)
            {
                if (c == '.')
                {
                    if (length == 0)
                    {
                        return false;
                    }

                    segments++;
                    length = 0;
                }
                else if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
                {
                    length++;
                }
                else
                {
                    return false;
                }
            }

            // A JWS may have an empty third segment only when unsigned; it is still JWT-shaped (and refused later).
            return segments == 2;
        }
    }
}
