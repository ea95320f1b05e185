using Gateway.Federation;
using Gateway.Policy.Directory;
using Gateway.Policy.Model;

namespace Gateway.Configuration;

/// <summary>Checks <c>Gateway:Federation</c>, adding every error to the caller's list.</summary>
internal static class FederationOptionsValidator
{
    private const string Section = "Gateway:Federation";

    public static IReadOnlyList<TrustedIssuer> Validate(FederationOptions options, List<string> errors)
    {
        Range(errors, "MaxTokenBytes", options.MaxTokenBytes, 1024, 64 * 1024);
        Range(errors, "AccessTokenLifetime", options.AccessTokenLifetime, TimeSpan.FromMinutes(1), TimeSpan.FromHours(24));
        Range(errors, "KeyRefreshInterval", options.KeyRefreshInterval, TimeSpan.FromSeconds(1), TimeSpan.FromHours(24));
        Range(errors, "KeyRefetchInterval", options.KeyRefetchInterval, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        Range(errors, "MaxKeyStaleness", options.MaxKeyStaleness, TimeSpan.FromSeconds(1), TimeSpan.FromDays(30));
        Range(errors, "FetchTimeout", options.FetchTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(60));
        Range(errors, "MaxJwksBytes", options.MaxJwksBytes, 1024, 1024 * 1024);
        Range(errors, "MaxKeys", options.MaxKeys, 1, 100);
        Range(errors, "MinRsaKeyBits", options.MinRsaKeyBits, 2048, 16384);
        Range(errors, "MaxRsaKeyBits", options.MaxRsaKeyBits, Math.Max(2048, options.MinRsaKeyBits), 16384);
        Range(errors, "ValidationCacheSize", options.ValidationCacheSize, 16, 10_000_000);

        var issuers = new List<TrustedIssuer>();
        var before = errors.Count;
        for (var i = 0; i < options.Issuers.Count; i++)
        {
            var entry = options.Issuers[i];
            var path = $"{Section}:Issuers:{i}";
            if (entry.Organization is null || !Names.IsValidEntity(entry.Organization))
            {
                errors.Add($"{path}:Organization must name an organization ([a-z0-9][a-z0-9_-]{{0,63}}).");
                continue;
            }

            var draft = new IssuerDraft(entry.Issuer, entry.Organization, entry.Audiences, entry.Algorithms, entry.Types, entry.JwksUri,
                entry.MaxTokenLifetime, entry.ClockSkew, entry.AcceptRawJwt, FromConfiguration: true);
            var issuer = IssuerRules.Build(draft, DateTimeOffset.UnixEpoch, (field, message) => errors.Add($"{path}:{Pascal(field)}: {message}"));
            if (issuer is null)
            {
                continue;
            }

            if (issuers.Any(x => x.Url == issuer.Url))
            {
                errors.Add($"{path}:Issuer '{issuer.Url}' is listed twice: an issuer belongs to one organization.");
                continue;
            }

            issuers.Add(issuer);
        }

        return errors.Count == before ? issuers : [];
    }

    private static string Pascal(string field) => char.ToUpperInvariant(field[0]) + field[1..];

    private static void Range(List<string> errors, string name, int value, int min, int max)
    {
        if (value < min || value > max)
        {
            errors.Add($"{Section}:{name} is {value}: it must be between {min} and {max}.");
        }
    }

    private static void Range(List<string> errors, string name, TimeSpan value, TimeSpan min, TimeSpan max)
    {
        if (value < min || value > max)
        {
            errors.Add($"{Section}:{name} is {value}: it must be between {min} and {max}.");
        }
    }
}
