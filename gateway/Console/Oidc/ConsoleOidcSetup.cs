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

    public static void AddConsoleOidc(IServiceCollection services, ConsoleOptions console)
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
            authentication.AddOpenIdConnect(Scheme(org), provider.DisplayName ?? org, o => Configure(o, org, provider));
        }
    }

    private static void Configure(OpenIdConnectOptions o, string org, ConsoleOidcProvider provider)
    {
        var authority = new Uri(provider.Authority!);
        o.Authority = provider.Authority;
        o.RequireHttpsMetadata = !ConsoleOidcValidator.IsLoopback(authority);
        o.ClientId = provider.ClientId;
        o.ClientSecret = provider.ClientSecretFile is { } file ? ConsoleOidcValidator.ReadSecret(file) : provider.ClientSecret;
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
        o.CorrelationCookie.Name = "gw_console_oidc_c.";
        o.NonceCookie.Name = "gw_console_oidc_n.";
        foreach (var cookie in new[] { o.CorrelationCookie, o.NonceCookie })
        {
            cookie.SameSite = SameSiteMode.Lax;
            cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.HttpOnly = true;
            cookie.Path = CallbackPath(org);
        }

        o.Events = new OpenIdConnectEvents
        {
            OnTicketReceived = c => Service(c.HttpContext).TicketReceivedAsync(c, org, provider),
            OnRemoteFailure = c => Service(c.HttpContext).RemoteFailureAsync(c, org),
            OnAccessDenied = c => Service(c.HttpContext).AccessDeniedAsync(c, org),
        };
    }

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
