using System.Reflection;
using Gateway.Configuration;
using Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc.ApplicationParts;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.OperatorConsole;

/// <summary>
/// Sets the console's headers first thing on every page request, so redirects and refusals carry
/// them too (only a request refused by anti-forgery validation, which runs earlier, answers without).
/// </summary>
internal sealed class ConsoleHeadersFilter : IResourceFilter
{
    public void OnResourceExecuting(ResourceExecutingContext context) => ConsoleEndpoints.SetSecurityHeaders(context.HttpContext.Response, cacheable: false);

    public void OnResourceExecuted(ResourceExecutedContext context)
    {
    }
}

/// <summary>The operator console: Razor Pages at <c>/</c> on the admin listener, its static files (style, script, icon), its headers.</summary>
internal static class ConsoleEndpoints
{
    // No inline script or style anywhere: the one script and the one stylesheet are files of our own.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private static readonly string[] Assets = ["console.css", "console.js", "favicon.svg"];

    public static void AddGatewayConsole(this IServiceCollection services, GatewayOptions options)
    {
        // The pages are compiled into this assembly; when the gateway is hosted by another entry
        // assembly (the test host) MVC would not look here on its own.
        services.AddRazorPages(pages =>
        {
            pages.RootDirectory = "/Console/Pages";
            pages.Conventions.ConfigureFilter(new ConsoleHeadersFilter());
        }).ConfigureApplicationPartManager(parts =>
        {
            var assembly = typeof(ConsoleEndpoints).Assembly;
            if (!parts.ApplicationParts.Any(p => p is AssemblyPart a && a.Assembly == assembly))
            {
                foreach (var part in ApplicationPartFactory.GetApplicationPartFactory(assembly).GetApplicationParts(assembly))
                {
                    parts.ApplicationParts.Add(part);
                }
            }
        });
        // Under TLS only (every admin URL https), the anti-forgery cookie is __Host- like the session's:
        // Secure, host-only and path /, so a sibling subdomain cannot plant one.
        var tlsOnly = ListenerAddress.Split(options.Admin.Urls) is { Count: > 0 } urls && urls.All(u => u.StartsWith("https://", StringComparison.OrdinalIgnoreCase));
        services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = tlsOnly ? "__Host-gw_console_af" : "gw_console_af";
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.Cookie.HttpOnly = true;
            antiforgery.Cookie.Path = "/";
            antiforgery.Cookie.SecurePolicy = tlsOnly ? Microsoft.AspNetCore.Http.CookieSecurePolicy.Always : Microsoft.AspNetCore.Http.CookieSecurePolicy.SameAsRequest;
            antiforgery.FormFieldName = "__gw_af";
        });
        services.AddSingleton<Microsoft.AspNetCore.Antiforgery.IAntiforgeryAdditionalDataProvider, ConsoleAntiforgeryData>();
        var protection = services.AddDataProtection().SetApplicationName("ml-auth-gateway-console");
        var keysPath = options.Console.KeysPath
            ?? (options.Store.IsPostgres ? null : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(options.Store.Path)) ?? ".", "console-keys"));
        if (keysPath is not null)
        {
            protection.PersistKeysToFileSystem(new DirectoryInfo(keysPath));
        }

        services.AddSingleton(sp => new ConsoleSessions(options.Keys.Prefix, options.Console, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<AdminDispatch>();
        Oidc.ConsoleOidcSetup.AddConsoleOidc(services, options.Console, tlsOnly);
    }

    /// <summary>The console's response headers, set by its own endpoints (no middleware on the proxy's path).</summary>
    public static void SetSecurityHeaders(HttpResponse response, bool cacheable)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers.CacheControl = cacheable ? "public, max-age=300" : "no-store";
    }

    public static void MapGatewayConsole(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapRazorPages().WithMetadata(ListenerMetadata.Admin);
        Oidc.ConsoleOidcSetup.MapConsoleOidc(endpoints, endpoints.ServiceProvider.GetRequiredService<GatewayOptions>().Console);
        foreach (var name in Assets)
        {
            var bytes = ReadAsset(name);
            var type = name.EndsWith(".css", StringComparison.Ordinal) ? "text/css; charset=utf-8"
                : name.EndsWith(".svg", StringComparison.Ordinal) ? "image/svg+xml" : "text/javascript; charset=utf-8";
            IResult Serve(HttpContext http)
            {
                SetSecurityHeaders(http.Response, cacheable: true);
                return Results.Bytes(bytes, type);
            }

            endpoints.MapGet("/console/" + name, Serve).WithMetadata(ListenerMetadata.Admin);
            if (name == "favicon.svg")
            {
                // Browsers ask for /favicon.ico before (or without) reading the page's icon link.
                endpoints.MapGet("/favicon.ico", Serve).WithMetadata(ListenerMetadata.Admin);
            }
        }
    }

    private static byte[] ReadAsset(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("Gateway.Console.Assets." + name)
            ?? throw new InvalidOperationException($"The console asset {name} is not embedded.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
