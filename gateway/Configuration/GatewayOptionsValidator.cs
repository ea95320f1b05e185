using Gateway.Policy.Directory;
using Gateway.Policy.Model;

namespace Gateway.Configuration;

/// <summary>
/// Validates the Gateway section as a whole and reports every error at once, each naming its
/// configuration path and the fix. Startup is refused while any error remains.
/// </summary>
internal static class GatewayOptionsValidator
{
    public static IReadOnlyList<string> Validate(GatewayOptions options) => Validate(options, out _);

    /// <param name="options">The bound Gateway section.</param>
    /// <param name="issuers">The issuers of <c>Gateway:Federation:Issuers</c>, when every one is valid.</param>
    public static IReadOnlyList<string> Validate(GatewayOptions options, out IReadOnlyList<TrustedIssuer> issuers)
    {
        var errors = new List<string>();
        issuers = FederationOptionsValidator.Validate(options.Federation, errors);
        LimitsOptionsValidator.Validate(options.Limits, errors);
        OperatorConsole.Oidc.ConsoleOidcOptionsValidator.Validate(options.Console.Oidc, errors);
        RateLimiting.RateClasses.Validate(options.RateLimits, errors);
        if (options.Usage.RetentionDays is < 1 or > 3660)
        {
            errors.Add($"Gateway:Usage:RetentionDays is {options.Usage.RetentionDays}: it must be between 1 and 3660.");
        }
        if (options.Tracing.OtlpEndpoint is { } otlp
            && (!Uri.TryCreate(otlp, UriKind.Absolute, out var otlpUri) || otlpUri.Scheme is not ("http" or "https")))
        {
            errors.Add($"Gateway:Tracing:OtlpEndpoint '{otlp}' must be an absolute http(s) URL such as http://collector:4318/v1/traces.");
        }

        if (options.Proxy.ClientAddressHeader is not null || options.Admin.ClientAddressHeader is not null)
        {
            errors.Add("ClientAddressHeader is a setting of Gateway:Authorizer only; the proxy and admin listeners take the client from TrustedProxies.");
        }

        var proxyPorts = ValidateListener(options.Proxy, "Gateway:Proxy:Urls", errors);
        var adminPorts = ValidateListener(options.Admin, "Gateway:Admin:Urls", errors);
        Hosting.TrustedProxies.Validate(options.Proxy.TrustedProxies, "Gateway:Proxy:TrustedProxies", errors);
        Hosting.TrustedProxies.Validate(options.Admin.TrustedProxies, "Gateway:Admin:TrustedProxies", errors);
        foreach (var port in proxyPorts.Intersect(adminPorts).Where(p => p != 0))
        {
            errors.Add($"Gateway:Proxy:Urls and Gateway:Admin:Urls both use port {port}: the admin API needs a listener of its own.");
        }

        if (options.AuthorizerEnabled)
        {
            var authorizerPorts = ValidateListener(options.Authorizer, "Gateway:Authorizer:Urls", errors);
            if (options.Authorizer.ClientAddressHeader is { } header && (header.Length == 0 || !header.All(c => char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_')))
            {
                errors.Add($"Gateway:Authorizer:ClientAddressHeader '{header}' is not a header name (e.g. x-forwarded-for).");
            }
            Hosting.TrustedProxies.Validate(options.Authorizer.TrustedProxies, "Gateway:Authorizer:TrustedProxies", errors);
            foreach (var port in authorizerPorts.Intersect(proxyPorts.Concat(adminPorts)).Where(p => p != 0))
            {
                errors.Add($"Gateway:Authorizer:Urls uses port {port}, which the proxy or the admin API listens on: the authorizer needs a listener of its own.");
            }
        }
        else if (options.Authorizer.TrustedProxies.Count > 0 || options.Authorizer.Certificate is not null || options.Authorizer.ClientAddressHeader is not null)
        {
            errors.Add("Gateway:Authorizer has TrustedProxies, a Certificate or a ClientAddressHeader but no Urls: give the authorizer's URLs (e.g. h2c://127.0.0.1:5082) or remove the section.");
        }

        if (string.IsNullOrWhiteSpace(options.Store.Path))
        {
            errors.Add("Gateway:Store:Path is empty: name the LiteDB file, e.g. data/gateway.db.");
        }

        StoreSettings.Validate(options.Store, errors);

        if (options.Store.LastUsedFlushInterval <= TimeSpan.Zero || options.Store.LastUsedFlushInterval > TimeSpan.FromSeconds(60))
        {
            errors.Add($"Gateway:Store:LastUsedFlushInterval is {options.Store.LastUsedFlushInterval}: it must be more than 0 and at most 00:01:00.");
        }

        if (!IsHeaderPrefix(options.HeaderPrefix))
        {
            errors.Add($"Gateway:HeaderPrefix '{options.HeaderPrefix}' must be letters, digits and '-', start with a letter and end with '-' (e.g. X-Gateway-).");
        }

        if (options.Keys.Prefix.Length is 0 or > 16 || !options.Keys.Prefix.All(char.IsAsciiLetterOrDigit))
        {
            errors.Add($"Gateway:Keys:Prefix '{options.Keys.Prefix}' must be 1 to 16 letters or digits (no '_', '-' or '.').");
        }

        var bootstrap = options.Bootstrap;
        if (bootstrap.Organization is not null && !Names.IsValidEntity(bootstrap.Organization))
        {
            errors.Add($"Gateway:Bootstrap:Organization '{bootstrap.Organization}' must match [a-z0-9][a-z0-9_-]{{0,63}}.");
        }

        if (bootstrap.AdminUser is not null && !Names.IsValidEntity(bootstrap.AdminUser))
        {
            errors.Add($"Gateway:Bootstrap:AdminUser '{bootstrap.AdminUser}' must match [a-z0-9][a-z0-9_-]{{0,63}}.");
        }

        if ((bootstrap.Organization is null) != (bootstrap.AdminUser is null))
        {
            errors.Add("Gateway:Bootstrap needs both Organization and AdminUser, or neither.");
        }

        if (bootstrap.Organization is not null && bootstrap.Organization == bootstrap.AdminUser)
        {
            errors.Add("Gateway:Bootstrap:AdminUser must differ from Gateway:Bootstrap:Organization: they share one namespace.");
        }

        if (bootstrap.AdminEmail is not null && !Names.IsValidEmail(bootstrap.AdminEmail))
        {
            errors.Add($"Gateway:Bootstrap:AdminEmail '{bootstrap.AdminEmail}' is not an email address.");
        }

        if (options.Cache.Keys < 16)
        {
            errors.Add($"Gateway:Cache:Keys is {options.Cache.Keys}: it must be at least 16.");
        }

        if (options.Cache.NegativeKeys < 16)
        {
            errors.Add($"Gateway:Cache:NegativeKeys is {options.Cache.NegativeKeys}: it must be at least 16.");
        }

        if (options.Console.SessionLifetime < TimeSpan.FromMinutes(5) || options.Console.SessionLifetime > TimeSpan.FromHours(24))
        {
            errors.Add($"Gateway:Console:SessionLifetime is {options.Console.SessionLifetime}: it must be between 00:05:00 and 1.00:00:00.");
        }

        if (options.Identity.Lifetime <= TimeSpan.Zero || options.Identity.Lifetime > TimeSpan.FromMinutes(5))
        {
            errors.Add($"Gateway:Identity:Lifetime is {options.Identity.Lifetime}: it must be more than 0 and at most 00:05:00.");
        }

        if (string.IsNullOrWhiteSpace(options.Identity.Issuer))
        {
            errors.Add("Gateway:Identity:Issuer is empty.");
        }

        return errors;
    }

    private static List<int> ValidateListener(ListenerOptions listener, string path, List<string> errors)
    {
        var ports = new List<int>();
        var urls = ListenerAddress.Split(listener.Urls);
        if (urls.Count == 0)
        {
            errors.Add($"{path} is empty: give at least one http://host:port URL.");
        }

        var https = false;
        foreach (var url in urls)
        {
            if (ListenerAddress.TryParse(url, out var address, out var error))
            {
                ports.Add(address!.Port);
                https |= address.Https;
            }
            else
            {
                errors.Add($"{path}: {error}.");
            }
        }

        // Gateway:Proxy:Urls -> Gateway:Proxy:Certificate
        var setting = path[..path.LastIndexOf(':')] + ":Certificate";
        if (https && Hosting.ListenerCertificate.Check(listener.Certificate?.Path, listener.Certificate?.KeyPath, setting, TimeProvider.System) is { } problem)
        {
            errors.Add(problem);
        }
        else if (!https && listener.Certificate is not null)
        {
            errors.Add($"{setting} is set but {path} has no https:// URL.");
        }

        return ports;
    }

    private static bool IsHeaderPrefix(string prefix)
        => prefix.Length is > 1 and <= 32 && char.IsAsciiLetter(prefix[0]) && prefix[^1] == '-'
           && prefix.All(c => char.IsAsciiLetterOrDigit(c) || c == '-');
}
