using System.Net;
using Gateway.Policy.Directory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;

namespace Gateway.OperatorConsole.Oidc;

/// <summary>Checks <c>Gateway:Console:Oidc</c> at startup, every error at once, each naming its path.</summary>
internal static class ConsoleOidcOptionsValidator
{
    public static void Validate(IReadOnlyDictionary<string, ConsoleOidcOptions> providers, List<string> errors)
    {
        foreach (var (org, p) in providers)
        {
            var at = "Gateway:Console:Oidc:" + org;
            if (!Names.IsValidEntity(org))
            {
                errors.Add($"{at}: '{org}' is not an organization name ([a-z0-9][a-z0-9_-]{{0,63}}).");
            }

            if (p.Authority is null)
            {
                errors.Add($"{at}:Authority is required: the identity provider's issuer URL, e.g. https://login.example.com/realms/acme.");
            }
            else if (!Uri.TryCreate(p.Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("https" or "http")
                || !string.IsNullOrEmpty(authority.Query) || !string.IsNullOrEmpty(authority.Fragment) || !string.IsNullOrEmpty(authority.UserInfo))
            {
                errors.Add($"{at}:Authority '{p.Authority}' must be an absolute https URL without query, fragment or user info.");
            }
            else if (authority.Scheme == "http" && !IsLoopback(authority))
            {
                errors.Add($"{at}:Authority '{p.Authority}' is http: an identity provider is reached over https (http only on loopback, for tests).");
            }

            if (string.IsNullOrWhiteSpace(p.ClientId))
            {
                errors.Add($"{at}:ClientId is required: the client registered for the console at the identity provider.");
            }

            if (p.ClientSecret is not null && p.ClientSecretFile is not null)
            {
                errors.Add($"{at}: set ClientSecret or ClientSecretFile, not both.");
            }
            else if (p.ClientSecretFile is { } file && ReadSecret(file) is null)
            {
                errors.Add($"{at}:ClientSecretFile '{file}' cannot be read, or is empty.");
            }

            if (p.MapBy is not (ConsoleOidcMapping.ByEmail or ConsoleOidcMapping.BySubject))
            {
                errors.Add($"{at}:MapBy '{p.MapBy}' must be 'email' or 'sub'.");
            }

            if (p.CreateUsers && p.MapBy != ConsoleOidcMapping.ByEmail)
            {
                errors.Add($"{at}:CreateUsers needs MapBy 'email': a user created from a subject could not be found by it again.");
            }

            if (p.CreateUsers && (p.CreateUsersDomains.Length == 0 || p.CreateUsersDomains.Any(d => !Names.IsValidEmail("x@" + d))))
            {
                errors.Add($"{at}:CreateUsers needs CreateUsersDomains, the email domains whose people may be created (e.g. [\"acme.example\"]): without them anyone the provider signs in would become a member.");
            }
            else if (!p.CreateUsers && p.CreateUsersDomains.Length > 0)
            {
                errors.Add($"{at}:CreateUsersDomains is set but CreateUsers is not: nobody would be created.");
            }

            if (string.IsNullOrWhiteSpace(p.EmailClaim) || string.IsNullOrWhiteSpace(p.SubjectClaim))
            {
                errors.Add($"{at}: EmailClaim and SubjectClaim may not be empty.");
            }
            else if (p.MapBy == ConsoleOidcMapping.ByEmail && p.EmailClaim != "email")
            {
                // email_verified speaks of the email claim only: preferred_username, upn and the like are
                // names a person may choose or an administrator may reuse, verified by nobody.
                errors.Add($"{at}:EmailClaim '{p.EmailClaim}' cannot map by email: email_verified vouches for the 'email' claim only. Map this provider by subject (MapBy 'sub').");
            }

            if (p.MapBy == ConsoleOidcMapping.BySubject && MutableClaims.Contains(p.SubjectClaim))
            {
                errors.Add($"{at}:SubjectClaim '{p.SubjectClaim}' names a person by what they or an administrator may change or hand to someone else: map by 'sub' (or an immutable id such as Entra's 'oid').");
            }

            foreach (var (subject, username) in p.Subjects)
            {
                if (!Names.IsValidEntity(username))
                {
                    errors.Add($"{at}:Subjects:{subject}: '{username}' is not a username.");
                }
            }

            if (p.MapBy == ConsoleOidcMapping.BySubject && p.Subjects.Count == 0)
            {
                errors.Add($"{at}:Subjects is empty: with MapBy 'sub', list each subject with the username it signs in as.");
            }

            if (p.Scopes is { } scopes && (!scopes.Contains("openid", StringComparer.Ordinal) || scopes.Any(s => string.IsNullOrWhiteSpace(s) || s.Contains(' ', StringComparison.Ordinal))))
            {
                errors.Add($"{at}:Scopes must include 'openid', one scope per entry.");
            }
        }
    }

    // Claims OpenID Connect says are neither stable nor unique (a person edits them, or they are reassigned
    // when someone leaves): a subject table keyed on one would sign a newcomer in as whoever had it before.
    private static readonly HashSet<string> MutableClaims = new(StringComparer.Ordinal)
    {
        "email", "preferred_username", "upn", "unique_name", "name", "nickname", "given_name", "family_name", "phone_number",
    };

    /// <summary>A client secret written into gateway.json (any JSON configuration file) is refused: secrets come from the environment or a file.</summary>
    public static IEnumerable<string> InlineSecretErrors(IConfigurationRoot configuration)
    {
        var section = configuration.GetSection("Gateway:Console:Oidc");
        foreach (var org in section.GetChildren())
        {
            var key = $"Gateway:Console:Oidc:{org.Key}:ClientSecret";
            if (configuration.Providers.OfType<JsonConfigurationProvider>().Any(p => p.TryGet(key, out var v) && !string.IsNullOrEmpty(v)))
            {
                yield return $"{key} is written in gateway.json: secrets are never written inline. Set it by the environment (Gateway__Console__Oidc__{org.Key}__ClientSecret) or in ClientSecretFile.";
            }
        }
    }

    /// <summary>The secret in <paramref name="path"/>: its first line, trimmed; null when missing or empty.</summary>
    public static string? ReadSecret(string path)
    {
        try
        {
            var line = File.ReadLines(path).FirstOrDefault()?.Trim();
            return string.IsNullOrEmpty(line) ? null : line;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            return null;
        }
    }

    public static bool IsLoopback(Uri uri) => uri.IsLoopback || (IPAddress.TryParse(uri.IdnHost, out var ip) && IPAddress.IsLoopback(ip));
}
