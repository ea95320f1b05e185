namespace Gateway.Configuration;

/// <summary>The <c>Gateway</c> section of gateway.json. Every value can be overridden the ASP.NET way (<c>Gateway__Store__Path</c>).</summary>
internal sealed record GatewayOptions
{
    public const string Section = "Gateway";

    public ListenerOptions Proxy { get; init; } = new() { Urls = "http://0.0.0.0:5080" };
    public ListenerOptions Admin { get; init; } = new() { Urls = "http://127.0.0.1:5081" };

    /// <summary>
    /// The external authorizer's listener (Envoy ext_authz over gRPC on <c>h2c://</c> or <c>https://</c> URLs,
    /// forward-auth <c>/verify</c> for nginx and Traefik): off unless URLs are given. Its <c>TrustedProxies</c>
    /// are the proxies allowed to ask (loopback when empty); what they say about the client is believed.
    /// </summary>
    public ListenerOptions Authorizer { get; init; } = new();

    /// <summary>True when the authorizer's listener is configured (its endpoints, gRPC and its gate exist only then).</summary>
    public bool AuthorizerEnabled => !string.IsNullOrWhiteSpace(Authorizer.Urls);

    /// <summary>OpenTelemetry traces (off unless an OTLP endpoint is set).</summary>
    public TracingOptions Tracing { get; init; } = new();
    public StoreOptions Store { get; init; } = new();
    public string HeaderPrefix { get; init; } = "X-Gateway-";
    public KeyOptions Keys { get; init; } = new();
    public BootstrapOptions Bootstrap { get; init; } = new();
    public CacheOptions Cache { get; init; } = new();
    public IdentityOptions Identity { get; init; } = new();
    public FederationOptions Federation { get; init; } = new();
    public LimitsOptions Limits { get; init; } = new();

    public RateLimitOptions RateLimits { get; init; } = new();

    public UsageOptions Usage { get; init; } = new();
    public ConsoleOptions Console { get; init; } = new();
}

internal sealed record IdentityOptions
{
    /// <summary>Adds <c>X-Gateway-Identity</c>, an ES256 JWT of the verified facts, verifiable with /.well-known/jwks.json.</summary>
    public bool Sign { get; init; }

    /// <summary>The <c>iss</c> of identity tokens.</summary>
    public string Issuer { get; init; } = "urn:ml-auth-gateway";

    /// <summary>Lifetime of identity tokens (at most 5 minutes).</summary>
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromSeconds(60);
}

internal sealed record ListenerOptions
{
    /// <summary>Semicolon-separated <c>http(s)://host:port</c> URLs; host is an IP address, <c>localhost</c>, <c>*</c> or <c>+</c>.</summary>
    public string Urls { get; init; } = "";

    /// <summary>The PEM certificate and key of this listener's <c>https://</c> URLs (required with them).</summary>
    public CertificateOptions? Certificate { get; init; }

    /// <summary>
    /// Addresses and CIDR networks of the proxies in front of this listener (a load balancer, an ingress):
    /// only a connection from one of them has its client address taken from <c>X-Forwarded-For</c>. Empty:
    /// the socket's address is the client, whatever a request claims.
    /// </summary>
    public IReadOnlyList<string> TrustedProxies { get; init; } = [];

    /// <summary>
    /// Authorizer only: the header of the described request that names the client (its last entry), e.g.
    /// <c>x-forwarded-for</c> when a load balancer in front of Envoy appends the client to it. Unset: Envoy's
    /// downstream peer address.
    /// </summary>
    public string? ClientAddressHeader { get; init; }
}

internal sealed record CertificateOptions
{
    /// <summary>PEM certificate (the leaf first, then any intermediates).</summary>
    public string? Path { get; init; }

    /// <summary>PEM private key (PKCS#8, RSA or EC).</summary>
    public string? KeyPath { get; init; }
}

internal sealed record StoreOptions
{
    /// <summary><c>litedb</c> (embedded, one process; the default) or <c>postgres</c> (shared by replicas).</summary>
    public string Provider { get; init; } = "litedb";

    /// <summary>The LiteDB file. The lock file and the bootstrap key file sit beside it (with postgres, only the key file).</summary>
    public string Path { get; init; } = "data/gateway.db";

    /// <summary>PostgreSQL connection string (Npgsql syntax); its password from the environment, never gateway.json.</summary>
    public string? ConnectionString { get; init; }

    /// <summary>A file holding the connection string (a mounted secret), instead of <see cref="ConnectionString"/>.</summary>
    public string? ConnectionStringFile { get; init; }

    /// <summary>With postgres: how long a replica that cannot reach the database keeps answering from its snapshot and caches.</summary>
    public TimeSpan MaxStaleness { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>With postgres: how often the directory version is polled, the backstop for a lost notification.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    public bool IsPostgres => string.Equals(Provider, "postgres", StringComparison.OrdinalIgnoreCase);

    /// <summary>How often last-used times are written (at most 60 s).</summary>
    public TimeSpan LastUsedFlushInterval { get; init; } = TimeSpan.FromSeconds(10);
}

internal sealed record KeyOptions
{
    /// <summary>The first segment of every standard key: <c>gw_…</c>.</summary>
    public string Prefix { get; init; } = "gw";
}

internal sealed record BootstrapOptions
{
    /// <summary>The organization created on the first start with an empty store.</summary>
    public string? Organization { get; init; }

    /// <summary>Its org-admin user; the key goes to <c>bootstrap-admin.key</c> beside the database.</summary>
    public string? AdminUser { get; init; }

    /// <summary>The admin's email; defaults to <c>{AdminUser}@localhost</c>.</summary>
    public string? AdminEmail { get; init; }
}

internal sealed record CacheOptions
{
    /// <summary>Known keys kept in memory.</summary>
    public int Keys { get; init; } = 200_000;

    /// <summary>Hashes known not to be keys, bounded separately so a flood cannot evict valid keys.</summary>
    public int NegativeKeys { get; init; } = 100_000;
}

internal sealed record TracingOptions
{
    /// <summary>OTLP/HTTP protobuf traces URL (e.g. <c>http://collector:4318/v1/traces</c>); null: no traces.</summary>
    public string? OtlpEndpoint { get; init; }
}

internal sealed record ConsoleOptions
{
    /// <summary>Serve the operator console at <c>/</c> on the admin listener.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>How long a console session lasts from sign-in (absolute; the user signs in again after it).</summary>
    public TimeSpan SessionLifetime { get; init; } = TimeSpan.FromHours(8);

    /// <summary>
    /// Where the keys that sign the console's anti-forgery tokens are kept. Default: <c>console-keys</c>
    /// beside the LiteDB file; in memory on PostgreSQL unless set (replicas behind one address need a
    /// shared directory here, or sticky sessions, for a form from one replica to post to another).
    /// </summary>
    public string? KeysPath { get; init; }

    /// <summary>Sign-in with an organization's identity provider, by organization name (see <c>OperatorConsole.Oidc</c>).</summary>
    public Dictionary<string, OperatorConsole.Oidc.ConsoleOidcOptions> Oidc { get; init; } = new(StringComparer.Ordinal);
}
