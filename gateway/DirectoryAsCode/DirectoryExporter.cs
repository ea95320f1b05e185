using Gateway.Admin;
using Gateway.Directory;
using Gateway.Policy.Access;
using Gateway.Policy.Model;
using Gateway.Store;

namespace Gateway.DirectoryAsCode;

/// <summary>
/// The document of one organization as a caller sees it through the admin API: an org admin sees all of
/// it; anyone else the teams they belong to, themselves, the service accounts and projects they manage
/// (with those projects' grants) and the keys they may manage. Apply compares a document with this same
/// view, so it never plans a change on, nor reveals, an object the caller could not list.
/// </summary>
internal static class DirectoryExporter
{
    public static DirectoryDocument Export(DirectorySnapshot d, IGatewayStore store, Principal caller, string org, bool includeKeys)
    {
        var admin = AdminAccess.IsOrgAdmin(caller, org);
        var teams = d.Teams.Values.Where(t => t.Org == org && AdminAccess.CanSeeTeam(caller, t)).Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var users = d.UsersById.Values.Where(u => u.Org == org && AdminAccess.CanSeeUser(caller, u)).ToList();
        var accounts = d.AccountsById.Values.Where(a => a.Org == org && AdminAccess.CanManageAccount(d, caller, a)).ToList();
        var projects = d.Projects.Values.Where(p => d.TryGetEntity(p.Entity, out var e) && e.Org == org
            && AccessEvaluator.Evaluate(new AccessRequest(caller, p.Entity, p.Name, AccessAction.Manage), d).IsAllowed).ToList();

        return new DirectoryDocument
        {
            Organization = org,
            // Only org admins manage issuers: anyone else's document leaves the section out (not "none").
            Issuers = admin
                ? [.. d.Issuers.Values.Where(i => i.Org == org && !i.FromConfiguration).OrderBy(i => i.Url, StringComparer.Ordinal).Select(Issuer)]
                : null,
            Teams = [.. teams.Order(StringComparer.Ordinal).Select(t => new TeamEntry(t))],
            Users = [.. users.OrderBy(u => u.Username, StringComparer.Ordinal).Select(u => User(u, teams))],
            ServiceAccounts = [.. accounts.OrderBy(a => a.DisplayName, StringComparer.Ordinal).Select(Account)],
            Projects = [.. projects.OrderBy(p => p.Entity, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal).Select(p => Project(d, p))],
            Keys = includeKeys ? Keys(d, store, caller, users.Cast<Principal>().Concat(accounts)) : null,
        };
    }

    private static UserEntry User(User u, HashSet<string> visibleTeams) => new()
    {
        Username = u.Username, Email = u.Email, Name = u.FullName, OrgRole = Wire.Of(u.OrgRole),
        Operator = u.Operator ? true : null, Active = u.Active ? null : false, DefaultEntity = u.DefaultEntity,
        Teams = Sorted(u.Teams.Where(t => visibleTeams.Contains(t.Key)).Select(t => (t.Key, Wire.Of(t.Value)))),
        Limits = Limits(u.Limits),
    };

    private static ServiceAccountEntry Account(ServiceAccount a) => new()
    {
        Name = a.Name, Scope = Wire.Of(a.Scope), Team = a.Team, Authentication = Wire.Of(a.Authentication), Issuer = a.Issuer, Subject = a.Subject,
        Access = Wire.Of(a.Access), Active = a.Active ? null : false, Limits = Limits(a.Limits), Rules = Rules(a),
    };

    public static SortedDictionary<string, FederationRuleEntry>? Rules(ServiceAccount a)
    {
        if (a.Rules.IsDefaultOrEmpty)
        {
            return null;
        }

        var rules = new SortedDictionary<string, FederationRuleEntry>(StringComparer.Ordinal);
        foreach (var rule in a.Rules)
        {
            rules[rule.Name] = new FederationRuleEntry
            {
                Subject = rule.Subject,
                Conditions = rule.Conditions.IsDefaultOrEmpty ? null : Sorted(rule.Conditions.Select(c => (c.Claim, c.Pattern))),
            };
        }

        return rules;
    }

    private static ProjectEntry Project(DirectorySnapshot d, Project p) => new()
    {
        Entity = p.Entity, Name = p.Name, Visibility = Wire.Of(p.Visibility),
        Grants = Sorted(d.Grants.Values.Where(g => g.Project == p.Key)
            .Select(g => (d.TryGetPrincipal(g.PrincipalId, out var principal) ? principal.DisplayName : g.PrincipalId, Wire.Of(g.Role)))),
    };

    public static IssuerEntry Issuer(TrustedIssuer i) => new()
    {
        Issuer = i.Url, Audiences = [.. i.Audiences], Algorithms = [.. i.Algorithms], Types = [.. i.Types], JwksUri = i.JwksUri,
        MaxTokenLifetimeSeconds = (int)i.MaxTokenLifetime.TotalSeconds, ClockSkewSeconds = (int)i.ClockSkew.TotalSeconds, AcceptRawJwt = i.AcceptRawJwt,
    };

    public static LimitsEntry? Limits(PrincipalLimits? limits)
        => limits is null ? null : new LimitsEntry(limits.PermitsPerSecond, limits.Burst, limits.RequestsPerDay);

    // Live keys only (revoked ones are history, in the audit log), sorted by owner then id.
    private static List<KeyEntry> Keys(DirectorySnapshot d, IGatewayStore store, Principal caller, IEnumerable<Principal> owners)
    {
        var keys = new List<KeyEntry>();
        foreach (var owner in owners.Where(o => AdminAccess.CanManageKeysOf(d, caller, o)))
        {
            foreach (var key in store.KeysOfOwner(owner.Id).Where(k => k.RevokedAt is null))
            {
                keys.Add(Key(key, owner.DisplayName));
            }
        }

        return [.. keys.OrderBy(k => k.Owner, StringComparer.Ordinal).ThenBy(k => k.Id, StringComparer.Ordinal)];
    }

    public static KeyEntry Key(ApiKey key, string owner)
    {
        var (access, projects, networks) = KeyRestrictionFields.View(key.Restrictions);
        return new KeyEntry
        {
            Id = key.KeyId, Owner = owner, Name = key.Name, Format = Wire.Of(key.Format), CreatedAt = key.CreatedAt, ExpiresAt = key.ExpiresAt,
            Restrictions = key.Restrictions is null || key.Restrictions.IsEmpty ? null : new KeyRestrictionsEntry(access, projects, networks),
        };
    }

    private static SortedDictionary<string, string> Sorted(IEnumerable<(string Key, string Value)> pairs)
    {
        var sorted = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in pairs)
        {
            sorted[key] = value;
        }

        return sorted;
    }
}
