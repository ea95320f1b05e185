namespace Gateway.Configuration;

/// <summary>The <c>Gateway:Federation</c> section: JWT checks, issuer key handling, the token exchange.</summary>
internal sealed record FederationOptions
{
    /// <summary>Longest JWT accepted, checked before any parsing.</summary>
    public int MaxTokenBytes { get; init; } = 16 * 1024;

    /// <summary>Lifetime of access tokens minted by <c>POST /oidc/token</c>.</summary>
    public TimeSpan AccessTokenLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>How often each issuer's keys are refreshed in the background.</summary>
    public TimeSpan KeyRefreshInterval { get; init; } = TimeSpan.FromHours(1);

    /// <summary>At most one fetch per issuer in this interval, however many unknown <c>kid</c>s arrive.</summary>
    public TimeSpan KeyRefetchInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long last-known-good keys keep working while the issuer cannot be reached.</summary>
    public TimeSpan MaxKeyStaleness { get; init; } = TimeSpan.FromHours(24);

    /// <summary>Timeout of one discovery or JWKS request.</summary>
    public TimeSpan FetchTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Largest discovery document or JWKS accepted.</summary>
    public int MaxJwksBytes { get; init; } = 64 * 1024;

    /// <summary>Most keys accepted in one JWKS; a larger set is refused whole.</summary>
    public int MaxKeys { get; init; } = 20;

    /// <summary>Smallest RSA modulus accepted.</summary>
    public int MinRsaKeyBits { get; init; } = 2048;

    /// <summary>Largest RSA modulus accepted (verification cost grows with the square of the size).</summary>
    public int MaxRsaKeyBits { get; init; } = 4096;

    /// <summary>Successful JWT validations kept (by token hash, until <c>exp</c>).</summary>
    public int ValidationCacheSize { get; init; } = 100_000;

    /// <summary>
    /// Lets discovery and JWKS fetches reach loopback, private, link-local and other non-public
    /// addresses (off: an org admin registering an issuer could otherwise make the gateway probe its
    /// own network). Turn on for an identity provider inside the network.
    /// </summary>
    public bool AllowPrivateIssuerAddresses { get; init; }

    /// <summary>Issuers defined in gateway.json (read-only through the admin API).</summary>
    public IReadOnlyList<IssuerOptions> Issuers { get; init; } = [];
}

/// <summary>One issuer in <c>Gateway:Federation:Issuers</c>.</summary>
internal sealed record IssuerOptions
{
    public string? Organization { get; init; }
    public string? Issuer { get; init; }
    public IReadOnlyList<string>? Audiences { get; init; }
    public IReadOnlyList<string>? Algorithms { get; init; }
    public IReadOnlyList<string>? Types { get; init; }
    public string? JwksUri { get; init; }
    public TimeSpan? MaxTokenLifetime { get; init; }
    public TimeSpan? ClockSkew { get; init; }
    public bool? AcceptRawJwt { get; init; }
}
