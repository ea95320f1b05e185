namespace Gateway.Federation;

/// <summary>
/// What a JWT says about itself, read before any signature check: enough to choose the issuer and
/// its keys and to refuse an expired or oversized token cheaply. Nothing here is trusted until the
/// signature verifies against that issuer's keys.
/// </summary>
/// <param name="Claims">The payload's top-level string claims (for claim rules).</param>
internal sealed record JwtPreview(
    string Algorithm,
    string? KeyId,
    string? Type,
    string Issuer,
    string Subject,
    long Expires,
    long? NotBefore,
    long? IssuedAt,
    string[] Audiences,
    IReadOnlyDictionary<string, string> Claims);
