namespace Gateway.Policy.Model;

/// <summary>A stored API key. The secret is never stored: only the SHA-256 of the whole key.</summary>
public sealed record ApiKey
{
    /// <summary>The public, random, never-reused key id (the key's visible first part).</summary>
    public required string KeyId { get; init; }

    /// <summary>SHA-256 of the whole presented key.</summary>
    public required byte[] Hash { get; init; }

    /// <summary>The owning principal's id.</summary>
    public required string OwnerId { get; init; }

    /// <summary>A descriptive name chosen by the creator.</summary>
    public required string Name { get; init; }

    /// <summary>The key's format.</summary>
    public required ApiKeyFormatKind Format { get; init; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>When it was last used (flushed in batches, so up to the flush interval behind).</summary>
    public DateTimeOffset? LastUsedAt { get; init; }

    /// <summary>When it stops working, if ever.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>When it was revoked (deleted, or its owner deactivated); kept so key ids are never reused.</summary>
    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>
    /// For an access token: the issuer and subject of the assertion it was exchanged for. The token
    /// works only while that pair still maps to its owner.
    /// </summary>
    public string? Issuer { get; init; }

    /// <inheritdoc cref="Issuer"/>
    public string? Subject { get; init; }

    /// <summary>
    /// For an access token minted through a claim rule: the rule's id. The token works only while its
    /// owner still holds that rule (the claims are not kept, so the rule is what is re-checked).
    /// </summary>
    public string? Rule { get; init; }

    /// <summary>What the key may do beyond its owner's rights (never more); null: exactly its owner's rights.</summary>
    public KeyRestrictions? Restrictions { get; init; }
}

/// <summary>The formats of API keys.</summary>
public enum ApiKeyFormatKind
{
    /// <summary><c>prefix_keyid_secretchecksum</c>, at least 40 characters.</summary>
    Standard,
    /// <summary>Exactly 40 characters for wandb SDKs older than 0.22.3, minted with a checksum.</summary>
    Legacy40,
    /// <summary>An existing 40-character key imported from elsewhere; no checksum.</summary>
    ImportedLegacy,
    /// <summary>A short-lived access token minted by the token exchange (<c>POST /oidc/token</c>).</summary>
    AccessToken,
    /// <summary>
    /// An operator console session, minted at sign-in and held only in an HttpOnly cookie. Stored
    /// with the access tokens (hash only, expiring, purged, revoked with its owner); <see cref="ApiKey.Subject"/>
    /// names the key the session was signed in with, and the session ends when that key does.
    /// Never accepted as a credential by the proxy or the admin API.
    /// </summary>
    ConsoleSession,
}
