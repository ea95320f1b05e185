using Gateway.Policy.Model;
using Gateway.Store;

namespace Gateway.Admin;

// What the admin API answers: camelCase, lowercase enum values, flat. Never a secret, except the
// one-time key in CreatedKeyView.

internal sealed record TeamView(string Name, string Org, DateTimeOffset CreatedAt)
{
    public static TeamView Of(Team t) => new(t.Name, t.Org, t.CreatedAt);
}

internal sealed record UserView(string Username, string Email, string Org, string OrgRole, string? DefaultEntity, bool Active, IReadOnlyDictionary<string, string> Teams, DateTimeOffset CreatedAt,
    string? Name = null)
{
    // The default entity shown is the one requests use (the chosen one, else the rule's).
    public static UserView Of(User u) => new(u.Username, u.Email, u.Org, Wire.Of(u.OrgRole), Policy.Access.AccessEvaluator.DefaultEntity(u), u.Active,
        u.Teams.OrderBy(t => t.Key, StringComparer.Ordinal).ToDictionary(t => t.Key, t => Wire.Of(t.Value)), u.CreatedAt, u.FullName);
}

internal sealed record OrgView(string Name, DateTimeOffset CreatedAt, int Teams, int Users, int ServiceAccounts, int Projects, int Issuers)
{
    public static OrgView Of(Directory.DirectorySnapshot d, Organization o) => new(o.Name, o.CreatedAt,
        d.Teams.Values.Count(t => t.Org == o.Name), d.UsersById.Values.Count(u => u.Org == o.Name), d.AccountsById.Values.Count(a => a.Org == o.Name),
        d.Projects.Values.Count(p => d.TryGetEntity(p.Entity, out var e) && e.Org == o.Name), d.Issuers.Values.Count(i => i.Org == o.Name));
}

internal sealed record CreatedOrgView(string Name, UserView Admin, CreatedKeyView AdminKey);

internal sealed record OperatorView(string Username, string Org);

internal sealed record MemberView(string Team, string Username, string Role);

internal sealed record ProjectView(string Entity, string Name, string Visibility, DateTimeOffset CreatedAt)
{
    public static ProjectView Of(Project p) => new(p.Entity, p.Name, Wire.Of(p.Visibility), p.CreatedAt);
}

internal sealed record GrantView(string Entity, string Project, string Principal, string Role);

internal sealed record ServiceAccountView(string Name, string DisplayName, string Org, string Scope, string Team, string Authentication, string? Issuer, string? Subject, string Access, bool Active, DateTimeOffset CreatedAt)
{
    public static ServiceAccountView Of(ServiceAccount s) => new(s.Name, s.DisplayName, s.Org, Wire.Of(s.Scope), s.Team,
        Wire.Of(s.Authentication), s.Issuer, s.Subject, Wire.Of(s.Access), s.Active, s.CreatedAt);
}

/// <summary>A key as listed: never its secret; its restrictions flat (<c>access</c> write and empty lists: exactly its owner's rights).</summary>
internal sealed record KeyView(string KeyId, string Name, string Owner, string Format, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? ExpiresAt,
    string Access, IReadOnlyList<string> Projects, IReadOnlyList<string> AllowedNetworks)
{
    public static KeyView Of(ApiKey k, string owner)
    {
        var (access, projects, networks) = KeyRestrictionFields.View(k.Restrictions);
        return new(k.KeyId, k.Name, owner, Wire.Of(k.Format), k.CreatedAt, k.LastUsedAt, k.ExpiresAt, access, projects, networks);
    }
}

internal sealed record CreatedKeyView(string KeyId, string? Key, string Name, string Owner, string Format, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt,
    string Access, IReadOnlyList<string> Projects, IReadOnlyList<string> AllowedNetworks);

/// <summary>A rotation's answer: the new key (shown once, with the old one's restrictions) and when the one it replaces stops working.</summary>
internal sealed record RotatedKeyView(string KeyId, string? Key, string Name, string Owner, string Format, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt,
    string Access, IReadOnlyList<string> Projects, IReadOnlyList<string> AllowedNetworks, string PreviousKeyId, DateTimeOffset PreviousExpiresAt);

internal sealed record WhoAmIView(string Principal, string PrincipalType, string Org, string? OrgRole, IReadOnlyDictionary<string, string>? Teams, string? DefaultEntity, string KeyId, string AuthMethod, bool Operator = false);

internal sealed record AuditView(string Id, DateTimeOffset At, string Action, string Actor, string? KeyId, string Target, string? Address, string? Detail, string Channel)
{
    public static AuditView Of(AuditEvent a) => new(a.Id, a.At, a.Action, a.Actor, a.KeyId, a.Target, a.Address, a.Detail, a.Channel ?? "api");
}

internal sealed record TeamDetailView(string Name, string Org, DateTimeOffset CreatedAt, bool CanManage, IReadOnlyList<MemberView> Members, int Projects);

internal sealed record ProjectListView(string Entity, string Name, string Visibility, DateTimeOffset CreatedAt, bool CanManage);
