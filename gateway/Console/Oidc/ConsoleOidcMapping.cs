using System.Security.Claims;
using Gateway.Directory;
using Gateway.Policy.Directory;
using Gateway.Policy.Model;

namespace Gateway.OperatorConsole.Oidc;

/// <summary>Who an identity provider's person is, as its validated ID token says.</summary>
internal sealed record OidcIdentity(string? Subject, string? Email, bool EmailVerified)
{
    public static OidcIdentity From(ClaimsPrincipal principal, ConsoleOidcOptions provider) => new(
        principal.FindFirst(provider.SubjectClaim)?.Value,
        principal.FindFirst(provider.EmailClaim)?.Value,
        principal.FindFirst("email_verified")?.Value is { } verified && verified.Equals("true", StringComparison.OrdinalIgnoreCase));

    /// <summary>What the audit names the person by: the email, else the subject.</summary>
    public string Name => Email ?? Subject ?? "-";
}

/// <summary>What a sign-in maps to: a user of the organization, a user to create, or a refusal code.</summary>
internal readonly record struct OidcResolution(User? User, User? ToCreate, string? Refusal);

/// <summary>
/// The one rule from an identity provider's person to a console user: a user of the provider's own
/// organization, never another's; by verified email (exact, else the one email of the organization
/// equal but for case) or by the configured subject table; created only when the organization's
/// configuration says so, and then as a member with no teams.
/// </summary>
internal static class ConsoleOidcMapping
{
    public const string ByEmail = "email";
    public const string BySubject = "sub";

    public static OidcResolution Resolve(DirectorySnapshot d, string org, ConsoleOidcOptions provider, OidcIdentity identity, DateTimeOffset now)
    {
        if (!d.Organizations.ContainsKey(org))
        {
            return Refused(OidcRefusals.OrgNotFound);
        }

        if (provider.MapBy == BySubject)
        {
            if (identity.Subject is null)
            {
                return Refused(OidcRefusals.ClaimMissing);
            }

            return provider.Subjects.TryGetValue(identity.Subject, out var username) && d.TryGetUser(username, out var byName) && byName.Org == org
                ? Found(byName)
                : Refused(OidcRefusals.UserNotFound);
        }

        if (identity.Email is null)
        {
            return Refused(OidcRefusals.ClaimMissing);
        }

        if (!identity.EmailVerified)
        {
            return Refused(OidcRefusals.EmailUnverified);
        }

        List<User> matches = d.TryGetUserByEmail(identity.Email, out var exact)
            ? [exact]
            : d.UsersByEmail.Values.Where(u => u.Email.Equals(identity.Email, StringComparison.OrdinalIgnoreCase)).Take(2).ToList();
        if (matches.Count == 1)
        {
            // A user of another organization with this email is nobody here, and blocks creating one (emails are unique).
            return matches[0].Org == org ? Found(matches[0]) : Refused(OidcRefusals.UserNotFound);
        }

        if (matches.Count > 1 || !provider.CreateUsers
            || !provider.CreateUsersDomains.Contains(identity.Email[(identity.Email.LastIndexOf('@') + 1)..], StringComparer.OrdinalIgnoreCase))
        {
            return Refused(OidcRefusals.UserNotFound);
        }

        return NewUser(d, org, identity.Email, now) is { } created ? new OidcResolution(null, created, null) : Refused(OidcRefusals.UserNotCreated);
    }

    /// <summary>A member named after the email's local part (made a valid, free name), or null when none can be made.</summary>
    private static User? NewUser(DirectorySnapshot d, string org, string email, DateTimeOffset now)
    {
        if (!Names.IsValidEmail(email))
        {
            return null;
        }

        var local = email[..email.IndexOf('@', StringComparison.Ordinal)].ToLowerInvariant();
        var chars = local.Select(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '_' or '-' ? c : '-').ToArray();
        var stem = new string(chars).TrimStart('-', '_');
        stem = stem.Length > 56 ? stem[..56] : stem;
        if (stem.Length == 0)
        {
            return null;
        }

        for (var n = 1; n < 100; n++)
        {
            var name = n == 1 ? stem : $"{stem}-{n}";
            if (Names.IsValidEntity(name) && !d.IsNameTaken(name))
            {
                return new User { Id = Admin.AdminIds.NewUserId(), Username = name, Email = email, Org = org, OrgRole = OrgRole.Member, CreatedAt = now };
            }
        }

        return null;
    }

    private static OidcResolution Found(User user) => user.Active ? new(user, null, null) : Refused(OidcRefusals.UserDeactivated);

    private static OidcResolution Refused(string code) => new(null, null, code);
}

/// <summary>Why an identity provider sign-in was refused: the code on the sign-in page and in the audit.</summary>
internal static class OidcRefusals
{
    public const string OrgNotFound = "oidc_org_not_found";
    public const string ClaimMissing = "oidc_claim_missing";
    public const string EmailUnverified = "oidc_email_unverified";
    public const string UserNotFound = "oidc_user_not_found";
    public const string UserNotCreated = "oidc_user_not_created";
    public const string UserDeactivated = "oidc_user_deactivated";
    public const string Failed = "oidc_failed";
    public const string Denied = "oidc_denied";
    public const string ProviderNotFound = "oidc_provider_not_found";
    public const string ProviderUnavailable = "oidc_provider_unavailable";
    public const string StoreUnavailable = "store_unavailable";

    private static readonly Dictionary<string, string> Messages = new(StringComparer.Ordinal)
    {
        [OrgNotFound] = "The organization of this identity provider does not exist on this gateway.",
        [ClaimMissing] = "The identity provider did not say who you are (no email or subject in its token).",
        [EmailUnverified] = "The identity provider has not verified your email address, so it cannot sign you in.",
        [UserNotFound] = "You signed in at the identity provider, but no user of this organization is you. Ask an organization admin to add you.",
        [UserNotCreated] = "No user could be made from your email address. Ask an organization admin to add you.",
        [UserDeactivated] = "Your user is deactivated. Ask an organization admin.",
        [Failed] = "The sign-in with the identity provider did not complete. Try again.",
        [Denied] = "The identity provider did not sign you in.",
        [ProviderNotFound] = "No identity provider is configured for that organization.",
        [ProviderUnavailable] = "The identity provider cannot be reached right now. Try again shortly, or sign in with an API key.",
        [StoreUnavailable] = "The gateway cannot reach its store right now; nothing was changed. Try again shortly.",
    };

    /// <summary>The page's message for a known code; null for anything else (a query string is not trusted to say more).</summary>
    public static string? Message(string? code) => code is not null && Messages.TryGetValue(code, out var text) ? $"{text} ({code})" : null;
}
