using Gateway.Configuration;
using Gateway.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;

namespace Gateway.OperatorConsole.Oidc;

/// <summary>
/// One OpenID Connect scheme per organization of <c>Gateway:Console:Oidc</c>, run by ASP.NET's own
/// handler: the authorization code flow with PKCE (S256), state and nonce checked against their
/// cookies, the ID token validated against the provider's published keys. Its callback is a console
/// endpoint of its own: the gateway runs no authentication middleware (see GatewayApp), so the
/// handler runs only there.
/// </summary>
internal static class ConsoleOidcSetup
{
    public static string Scheme(string org) => "console-oidc-" + org;

    public static string CallbackPath(string org) => "/console/oidc/" + org + "/callback";

    public static void AddConsoleOidc(IServiceCollection services, ConsoleOptions console, bool tlsOnly)
    {
        if (console.Oidc.Count == 0)
        {
            return;
        }

        services.AddSingleton<ConsoleOidcSignIn>();
        // No scheme is anybody's default (ASP.NET makes a lone scheme the default): these run only when
        // named, whether one organization has a provider or several. ASP.NET reads this switch only.
        AppContext.SetSwitch("Microsoft.AspNetCore.Authentication.SuppressAutoDefaultScheme", true);
        var authentication = services.AddAuthentication();
        foreach (var (org, provider) in console.Oidc)
        {
            authentication.AddOpenIdConnect(Scheme(org), provider.DisplayName ?? org, o => Configure(o, org, provider, tlsOnly));
        }
    }

    private static void Configure(OpenIdConnectOptions o, string org, ConsoleOidcOptions provider, bool tlsOnly)
    {
        var authority = new Uri(provider.Authority!);
        o.Authority = provider.Authority;
        // The discovery document and the keys over https whenever the authority is https, on loopback too
        // (a key set named at http://… anywhere would let whoever is on its path sign the ID tokens).
        o.RequireHttpsMetadata = authority.Scheme == Uri.UriSchemeHttps;
        o.ClientId = provider.ClientId;
        o.ClientSecret = provider.ClientSecretFile is { } file ? ConsoleOidcOptionsValidator.ReadSecret(file) : provider.ClientSecret;
        o.ResponseType = OpenIdConnectResponseType.Code;
        o.UsePkce = true;
        // The code comes back in the query of a top-level GET, so the SameSite=Lax correlation and
        // nonce cookies come with it (a form_post from the provider's site would carry neither).
        o.ResponseMode = OpenIdConnectResponseMode.Query;
        o.CallbackPath = CallbackPath(org);
        o.Scope.Clear();
        foreach (var scope in provider.Scopes ?? ["openid", "email", "profile"])
        {
            o.Scope.Add(scope);
        }

        // Claims as the provider names them (email, email_verified, sub), not renamed to .NET's URIs.
        o.MapInboundClaims = false;
        o.SaveTokens = false;
        o.GetClaimsFromUserInfoEndpoint = false;
        o.UseTokenLifetime = false;
        o.DisableTelemetry = true;
        o.BackchannelTimeout = TimeSpan.FromSeconds(15);
        // Under TLS only (every admin URL https), __Host- like the session's and the anti-forgery cookie:
        // Secure, host-only and path /. Otherwise a sibling subdomain (or anyone answering for the host
        // over plain http) could plant the correlation and nonce cookies of a sign-in the attacker started,
        // then send the victim its callback: the victim's browser would sign in as the attacker.
        var prefix = tlsOnly ? "__Host-" : "";
        o.CorrelationCookie.Name = prefix + "gw_console_oidc_c.";
        o.NonceCookie.Name = prefix + "gw_console_oidc_n.";
        foreach (var cookie in new[] { o.CorrelationCookie, o.NonceCookie })
        {
            cookie.SameSite = SameSiteMode.Lax;
            cookie.SecurePolicy = tlsOnly ? CookieSecurePolicy.Always : CookieSecurePolicy.SameAsRequest;
            cookie.HttpOnly = true;
            cookie.Path = tlsOnly ? "/" : CallbackPath(org);
        }

        o.Events = new OpenIdConnectEvents
        {
            // The provider's discovery document names where the browser and the gateway go next: those
            // addresses are held to the authority's own rule (https, http only on loopback), so a
            // document served over https cannot send the code, the verifier or the secret over http.
            OnRedirectToIdentityProvider = c =>
            {
                if (!IsAllowedEndpoint(c.ProtocolMessage.IssuerAddress, authority))
                {
                    c.HandleResponse();
                    Service(c.HttpContext).Failed(org, "authorization_endpoint_not_https");
                    ConsoleOidcSignIn.RefuseTo(c.HttpContext, OidcRefusals.Failed);
                }

                return Task.CompletedTask;
            },
            OnAuthorizationCodeReceived = async c =>
            {
                // The handler posts to the request's endpoint when set, else the discovery document's (cached: no fetch here).
                var endpoint = c.TokenEndpointRequest?.TokenEndpoint
                    ?? (c.Options.ConfigurationManager is { } manager ? (await manager.GetConfigurationAsync(c.HttpContext.RequestAborted)).TokenEndpoint : null);
                if (!IsAllowedEndpoint(endpoint, authority))
                {
                    Service(c.HttpContext).Failed(org, "token_endpoint_not_https");
                    c.Fail("The provider's token endpoint is not https.");
                }
            },
            // The ID token's issuer (every claim carries it; the handler drops the iss claim itself) is the
            // configured authority itself, not merely what its discovery document says.
            OnTokenValidated = c =>
            {
                if (!SameIssuer(c.Principal?.FindFirst(provider.SubjectClaim)?.Issuer, provider.Authority!))
                {
                    Service(c.HttpContext).Failed(org, "issuer_not_authority");
                    c.Fail("The ID token's issuer is not the configured authority.");
                }

                return Task.CompletedTask;
            },
            OnTicketReceived = c => Service(c.HttpContext).TicketReceivedAsync(c, org, provider),
            OnRemoteFailure = c => Service(c.HttpContext).RemoteFailureAsync(c, org),
            OnAccessDenied = c => Service(c.HttpContext).AccessDeniedAsync(c, org),
        };
    }

    // http only where the authority itself is http (on loopback, for tests): an https provider's document
    // naming http://127.0.0.1:… would have the gateway post the code, verifier and secret in clear to
    // whatever listens on that port of its own host.
    internal static bool IsAllowedEndpoint(string? url, Uri authority)
        => Uri.TryCreate(url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttps
            || (uri.Scheme == Uri.UriSchemeHttp && authority.Scheme == Uri.UriSchemeHttp && ConsoleOidcOptionsValidator.IsLoopback(uri)));

    internal static bool SameIssuer(string? issuer, string authority)
        => issuer is not null && string.Equals(issuer.TrimEnd('/'), authority.TrimEnd('/'), StringComparison.Ordinal);

    private static ConsoleOidcSignIn Service(HttpContext http) => http.RequestServices.GetRequiredService<ConsoleOidcSignIn>();

    /// <summary>The callback endpoint of each provider, on the admin listener.</summary>
    public static void MapConsoleOidc(IEndpointRouteBuilder endpoints, ConsoleOptions console)
    {
        foreach (var org in console.Oidc.Keys)
        {
            var scheme = Scheme(org);
            endpoints.MapGet(CallbackPath(org), (RequestDelegate)(async http =>
            {
                ConsoleEndpoints.SetSecurityHeaders(http.Response, cacheable: false);
                var handlers = http.RequestServices.GetRequiredService<IAuthenticationHandlerProvider>();
                if (await handlers.GetHandlerAsync(http, scheme) is IAuthenticationRequestHandler handler && await handler.HandleRequestAsync())
                {
                    return;
                }

                ConsoleOidcSignIn.RefuseTo(http, OidcRefusals.Failed);
            })).WithMetadata(ListenerMetadata.Admin);
        }
    }
}
