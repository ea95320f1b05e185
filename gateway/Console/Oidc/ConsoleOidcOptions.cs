namespace Gateway.OperatorConsole.Oidc;

/// <summary>
/// One organization's identity provider for console sign-in (<c>Gateway:Console:Oidc:{org}</c>): the
/// authorization code flow with PKCE, the person mapped to a user of that organization by verified
/// email or by a subject table, never created unless <see cref="CreateUsers"/> says so.
/// </summary>
internal sealed record ConsoleOidcOptions
{
    /// <summary>The issuer URL (its discovery document is at <c>/.well-known/openid-configuration</c>); https, or http on loopback.</summary>
    public string? Authority { get; init; }

    public string? ClientId { get; init; }

    /// <summary>The client secret, from the environment (<c>Gateway__Console__Oidc__{org}__ClientSecret</c>); never inline in gateway.json. None: a public client (PKCE only).</summary>
    public string? ClientSecret { get; init; }

    /// <summary>A file holding the client secret (its first line), instead of <see cref="ClientSecret"/>.</summary>
    public string? ClientSecretFile { get; init; }

    /// <summary><c>email</c> (the verified email claim equals the user's email) or <c>sub</c> (the subject is listed in <see cref="Subjects"/>).</summary>
    public string MapBy { get; init; } = ConsoleOidcMapping.ByEmail;

    /// <summary>The claim holding the email address.</summary>
    public string EmailClaim { get; init; } = "email";

    /// <summary>The claim holding the subject.</summary>
    public string SubjectClaim { get; init; } = "sub";

    /// <summary>With <c>MapBy: sub</c>: the provider's subject to the username it signs in as.</summary>
    public Dictionary<string, string> Subjects { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Create a member (no teams, no keys) for a verified email that matches no user; with <c>MapBy: email</c> only.</summary>
    public bool CreateUsers { get; init; }

    /// <summary>
    /// With <see cref="CreateUsers"/>, required: the email domains (after the <c>@</c>, any case) whose people
    /// may be created. Others are refused as unknown, so a provider open to anyone lets in nobody extra.
    /// </summary>
    public string[] CreateUsersDomains { get; init; } = [];

    /// <summary>The name on the sign-in button; the organization's name when unset.</summary>
    public string? DisplayName { get; init; }

    /// <summary>The scopes asked for; <c>openid email profile</c> when unset.</summary>
    public string[]? Scopes { get; init; }
}
