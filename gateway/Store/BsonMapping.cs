using System.Collections.Immutable;
using Gateway.Policy.Model;
using LiteDB;

namespace Gateway.Store;

/// <summary>
/// Hand-written mapping between the directory records and LiteDB documents: exact field names, enums
/// as lowercase strings, times as Unix milliseconds (LiteDB would otherwise hand dates back in local
/// time). No reflection mapper, so the file format is exactly what this class says.
/// </summary>
internal static class BsonMapping
{
    public static BsonValue IdOf(object record) => record switch
    {
        Organization o => o.Name,
        Team t => t.Name,
        User u => u.Id,
        ServiceAccount s => s.Id,
        Project p => ProjectId(p.Key),
        ProjectGrant g => GrantId(g.PrincipalId, g.Project),
        ApiKey k => new BsonValue(k.Hash),
        TrustedIssuer i => i.Url,
        _ => throw new ArgumentException(record.GetType().Name),
    };

    public static string CollectionOf(object record) => record switch
    {
        Organization => Collections.Organizations,
        Team => Collections.Teams,
        User => Collections.Users,
        ServiceAccount => Collections.ServiceAccounts,
        Project => Collections.Projects,
        ProjectGrant => Collections.Grants,
        // Access tokens live apart from keys: they expire within hours, are purged, and never show in key listings.
        ApiKey { Format: ApiKeyFormatKind.AccessToken or ApiKeyFormatKind.ConsoleSession } => Collections.AccessTokens,
        ApiKey => Collections.Keys,
        TrustedIssuer => Collections.Issuers,
        _ => throw new ArgumentException(record.GetType().Name),
    };

    public static string ProjectId(ProjectKey key) => key.Entity + "/" + key.Name;

    public static string GrantId(string principalId, ProjectKey key) => principalId + "|" + key.Entity + "/" + key.Name;

    public static BsonDocument ToDocument(object record) => record switch
    {
        Organization o => new BsonDocument { ["_id"] = o.Name, ["createdAt"] = Time(o.CreatedAt) },
        Team t => t.DeletedAt is { } deleted
            ? new BsonDocument { ["_id"] = t.Name, ["org"] = t.Org, ["createdAt"] = Time(t.CreatedAt), ["deletedAt"] = Time(deleted) }
            : new BsonDocument { ["_id"] = t.Name, ["org"] = t.Org, ["createdAt"] = Time(t.CreatedAt) },
        User u => FromUser(u),
        ServiceAccount s => FromServiceAccount(s),
        Project p => new BsonDocument
        {
            ["_id"] = ProjectId(p.Key), ["entity"] = p.Entity, ["name"] = p.Name,
            ["visibility"] = Enum(p.Visibility), ["createdAt"] = Time(p.CreatedAt),
        },
        ProjectGrant g => new BsonDocument
        {
            ["_id"] = GrantId(g.PrincipalId, g.Project), ["principalId"] = g.PrincipalId,
            ["entity"] = g.Project.Entity, ["project"] = g.Project.Name, ["role"] = Enum(g.Role),
        },
        ApiKey k => FromKey(k),
        TrustedIssuer i => FromIssuer(i),
        _ => throw new ArgumentException(record.GetType().Name),
    };

    public static BsonDocument FromAudit(AuditEvent a) => new()
    {
        ["_id"] = a.Id, ["at"] = Time(a.At), ["org"] = a.Org, ["action"] = a.Action, ["actor"] = a.Actor,
        ["actorId"] = Str(a.ActorId), ["keyId"] = Str(a.KeyId), ["target"] = a.Target,
        ["address"] = Str(a.Address), ["detail"] = Str(a.Detail), ["channel"] = Str(a.Channel),
    };

    public static AuditEvent ToAudit(BsonDocument d) => new()
    {
        Id = d["_id"].AsString, At = Time(d["at"]), Org = d["org"].AsString, Action = d["action"].AsString,
        Actor = d["actor"].AsString, ActorId = Str(d["actorId"]), KeyId = Str(d["keyId"]), Target = d["target"].AsString,
        Address = Str(d["address"]), Detail = Str(d["detail"]),
        Channel = d.TryGetValue("channel", out var channel) ? Str(channel) : null,
    };

    public static Organization ToOrganization(BsonDocument d) => new() { Name = d["_id"].AsString, CreatedAt = Time(d["createdAt"]) };

    public static Team ToTeam(BsonDocument d) => new()
    {
        Name = d["_id"].AsString, Org = d["org"].AsString, CreatedAt = Time(d["createdAt"]),
        DeletedAt = d.TryGetValue("deletedAt", out var deleted) ? OptionalTime(deleted) : null,
    };

    public static Project ToProject(BsonDocument d) => new()
    {
        Entity = d["entity"].AsString, Name = d["name"].AsString,
        Visibility = Enum<Visibility>(d["visibility"]), CreatedAt = Time(d["createdAt"]),
    };

    public static ProjectGrant ToGrant(BsonDocument d) => new()
    {
        PrincipalId = d["principalId"].AsString,
        Project = new ProjectKey(d["entity"].AsString, d["project"].AsString),
        Role = Enum<ProjectRole>(d["role"]),
    };

    public static User ToUser(BsonDocument d)
    {
        var teams = ImmutableDictionary.CreateBuilder<string, TeamRole>(StringComparer.Ordinal);
        foreach (var (team, role) in d["teams"].AsDocument)
        {
            teams[team] = Enum<TeamRole>(role);
        }

        return new User
        {
            Id = d["_id"].AsString, Username = d["username"].AsString, Email = d["email"].AsString, Org = d["org"].AsString,
            OrgRole = Enum<OrgRole>(d["orgRole"]), DefaultEntity = Str(d["defaultEntity"]), Active = d["active"].AsBoolean,
            CreatedAt = Time(d["createdAt"]), Teams = teams.ToImmutable(),
            // Absent in stores written before the operator role existed.
            Operator = d.TryGetValue("operator", out var op) && op.IsBoolean && op.AsBoolean,
            // Absent in stores written before users had a name.
            FullName = d.TryGetValue("fullName", out var fullName) && fullName.IsString ? fullName.AsString : null,
            Limits = ToLimits(d),
        };
    }

    public static ServiceAccount ToServiceAccount(BsonDocument d) => new()
    {
        Id = d["_id"].AsString, Name = d["name"].AsString, Org = d["org"].AsString, Team = d["team"].AsString,
        Scope = Enum<ServiceAccountScope>(d["scope"]), Authentication = Enum<AuthenticationKind>(d["authentication"]),
        Issuer = Str(d["issuer"]), Subject = Str(d["subject"]), Access = Enum<AccessMode>(d["access"]),
        Active = d["active"].AsBoolean, CreatedAt = Time(d["createdAt"]), Limits = ToLimits(d),
        // Absent for accounts mapped on the exact subject only, and in stores written before claim rules.
        Rules = d.TryGetValue("rules", out var rules) && rules.IsArray ? [.. rules.AsArray.Select(r => ToRule(r.AsDocument))] : [],
    };

    private static FederationRule ToRule(BsonDocument d) => new()
    {
        Id = d["id"].AsString, Name = d["name"].AsString, Subject = d["subject"].AsString, CreatedAt = Time(d["createdAt"]),
        Conditions = [.. d["conditions"].AsArray.Select(c => new ClaimCondition(c["claim"].AsString, c["pattern"].AsString))],
    };

    private static BsonDocument FromRule(FederationRule r) => new()
    {
        ["id"] = r.Id, ["name"] = r.Name, ["subject"] = r.Subject, ["createdAt"] = Time(r.CreatedAt),
        ["conditions"] = new BsonArray(r.Conditions.Select(c => (BsonValue)new BsonDocument { ["claim"] = c.Claim, ["pattern"] = c.Pattern })),
    };

    // Absent for principals on the configured limits, and in stores written before principals had limits.
    private static PrincipalLimits? ToLimits(BsonDocument d)
    {
        if (!d.TryGetValue("limits", out var value) || !value.IsDocument)
        {
            return null;
        }

        var limits = value.AsDocument;
        return new PrincipalLimits
        {
            // Numbers come back from JSON (PostgreSQL) as the narrowest type that holds them.
            PermitsPerSecond = limits["permitsPerSecond"].IsNumber ? Convert.ToDouble(limits["permitsPerSecond"].RawValue, System.Globalization.CultureInfo.InvariantCulture) : null,
            Burst = limits["burst"].IsNumber ? Convert.ToInt32(limits["burst"].RawValue, System.Globalization.CultureInfo.InvariantCulture) : null,
            RequestsPerDay = limits["requestsPerDay"].IsNumber ? Convert.ToInt64(limits["requestsPerDay"].RawValue, System.Globalization.CultureInfo.InvariantCulture) : null,
        };
    }

    private static BsonValue FromLimits(PrincipalLimits? limits) => limits is null ? BsonValue.Null : new BsonDocument
    {
        ["permitsPerSecond"] = limits.PermitsPerSecond is { } rate ? new BsonValue(rate) : BsonValue.Null,
        ["burst"] = limits.Burst is { } burst ? new BsonValue(burst) : BsonValue.Null,
        ["requestsPerDay"] = limits.RequestsPerDay is { } day ? new BsonValue(day) : BsonValue.Null,
    };

    public static ApiKey ToKey(BsonDocument d) => new()
    {
        Hash = d["_id"].AsBinary, KeyId = d["keyId"].AsString, OwnerId = d["ownerId"].AsString, Name = d["name"].AsString,
        Format = Enum<ApiKeyFormatKind>(d["format"]), CreatedAt = Time(d["createdAt"]), LastUsedAt = OptionalTime(d["lastUsedAt"]),
        ExpiresAt = OptionalTime(d["expiresAt"]), RevokedAt = OptionalTime(d["revokedAt"]),
        Issuer = Str(d["issuer"]), Subject = Str(d["subject"]),
        Rule = d.TryGetValue("rule", out var rule) ? Str(rule) : null,
        // Absent for keys without restrictions, and in stores written before keys had any.
        Restrictions = d.TryGetValue("restrictions", out var restrictions) && restrictions.IsDocument ? ToRestrictions(restrictions.AsDocument) : null,
    };

    private static KeyRestrictions ToRestrictions(BsonDocument d) => new()
    {
        Access = d.TryGetValue("access", out var access) && access.IsString ? Enum<KeyAccess>(access) : KeyAccess.Write,
        Projects = [.. Strings(d["projects"]).Select(p => ProjectPattern.TryParse(p, out var pattern)
            ? pattern : throw new LiteException(0, $"Unknown project pattern '{p}' in the store."))],
        AllowedNetworks = [.. Strings(d["allowedNetworks"]).Select(n => System.Net.IPNetwork.TryParse(n, out var network)
            ? network : throw new LiteException(0, $"Unknown network '{n}' in the store."))],
    };

    private static BsonDocument FromRestrictions(KeyRestrictions r) => new()
    {
        ["access"] = Enum(r.Access),
        ["projects"] = new BsonArray(r.Projects.Select(p => new BsonValue(p.ToString()))),
        ["allowedNetworks"] = new BsonArray(r.AllowedNetworks.Select(n => new BsonValue(n.ToString()))),
    };

    public static TrustedIssuer ToIssuer(BsonDocument d) => new()
    {
        Url = d["_id"].AsString, Org = d["org"].AsString, Audiences = Strings(d["audiences"]), Algorithms = Strings(d["algorithms"]),
        Types = Strings(d["types"]), JwksUri = Str(d["jwksUri"]), MaxTokenLifetime = TimeSpan.FromMilliseconds(d["maxTokenLifetimeMs"].AsInt64),
        ClockSkew = TimeSpan.FromMilliseconds(d["clockSkewMs"].AsInt64), AcceptRawJwt = d["acceptRawJwt"].AsBoolean, CreatedAt = Time(d["createdAt"]),
    };

    public static BsonValue Time(DateTimeOffset time) => new BsonValue(time.ToUnixTimeMilliseconds());

    public static BsonValue Time(DateTimeOffset? time) => time is { } t ? Time(t) : BsonValue.Null;

    private static DateTimeOffset Time(BsonValue value) => DateTimeOffset.FromUnixTimeMilliseconds(value.AsInt64);

    private static DateTimeOffset? OptionalTime(BsonValue value) => value.IsNull ? null : Time(value);

    private static BsonValue Str(string? value) => value is null ? BsonValue.Null : new BsonValue(value);

    private static string? Str(BsonValue value) => value.IsNull ? null : value.AsString;

    public static string Enum<T>(T value) where T : struct, System.Enum => Wire.Of(value);

    private static T Enum<T>(BsonValue value) where T : struct, System.Enum
        => Wire.TryParse<T>(value.AsString, out var parsed) ? parsed : throw new LiteException(0, $"Unknown {typeof(T).Name} '{value.AsString}' in the store.");

    private static BsonDocument FromUser(User u)
    {
        var teams = new BsonDocument();
        foreach (var (team, role) in u.Teams)
        {
            teams[team] = Enum(role);
        }

        return new BsonDocument
        {
            ["_id"] = u.Id, ["username"] = u.Username, ["email"] = u.Email, ["org"] = u.Org, ["orgRole"] = Enum(u.OrgRole),
            ["defaultEntity"] = Str(u.DefaultEntity), ["active"] = u.Active, ["createdAt"] = Time(u.CreatedAt), ["teams"] = teams,
            ["operator"] = u.Operator, ["fullName"] = Str(u.FullName), ["limits"] = FromLimits(u.Limits),
        };
    }

    private static BsonDocument FromServiceAccount(ServiceAccount s)
    {
        var doc = new BsonDocument
        {
            ["_id"] = s.Id, ["name"] = s.Name, ["displayName"] = s.DisplayName, ["org"] = s.Org, ["team"] = s.Team,
            ["scope"] = Enum(s.Scope), ["authentication"] = Enum(s.Authentication), ["issuer"] = Str(s.Issuer),
            ["subject"] = Str(s.Subject), ["access"] = Enum(s.Access), ["active"] = s.Active, ["createdAt"] = Time(s.CreatedAt),
            ["limits"] = FromLimits(s.Limits),
        };
        if (!s.Rules.IsDefaultOrEmpty)
        {
            doc["rules"] = new BsonArray(s.Rules.Select(r => (BsonValue)FromRule(r)));
        }

        return doc;
    }

    private static BsonDocument FromKey(ApiKey k)
    {
        var doc = new BsonDocument
        {
            ["_id"] = new BsonValue(k.Hash), ["keyId"] = k.KeyId, ["ownerId"] = k.OwnerId, ["name"] = k.Name,
            ["format"] = Enum(k.Format), ["createdAt"] = Time(k.CreatedAt), ["lastUsedAt"] = Time(k.LastUsedAt),
            ["expiresAt"] = Time(k.ExpiresAt), ["revokedAt"] = Time(k.RevokedAt),
        };
        if (k.Issuer is not null)
        {
            doc["issuer"] = k.Issuer;
        }

        // A console session has a subject (its sign-in key) and no issuer.
        if (k.Issuer is not null || k.Subject is not null)
        {
            doc["subject"] = Str(k.Subject);
        }

        if (k.Rule is not null)
        {
            doc["rule"] = k.Rule;
        }

        if (k.Restrictions is { IsEmpty: false } restrictions)
        {
            doc["restrictions"] = FromRestrictions(restrictions);
        }

        return doc;
    }

    private static BsonDocument FromIssuer(TrustedIssuer i) => new()
    {
        ["_id"] = i.Url, ["org"] = i.Org, ["audiences"] = Array(i.Audiences), ["algorithms"] = Array(i.Algorithms),
        ["types"] = Array(i.Types), ["jwksUri"] = Str(i.JwksUri), ["maxTokenLifetimeMs"] = (long)i.MaxTokenLifetime.TotalMilliseconds,
        ["clockSkewMs"] = (long)i.ClockSkew.TotalMilliseconds, ["acceptRawJwt"] = i.AcceptRawJwt, ["createdAt"] = Time(i.CreatedAt),
    };

    private static BsonArray Array(ImmutableArray<string> values) => new(values.Select(v => new BsonValue(v)));

    private static ImmutableArray<string> Strings(BsonValue value) => value.IsArray ? [.. value.AsArray.Select(v => v.AsString)] : [];
}

/// <summary>Collection names in the store.</summary>
internal static class Collections
{
    public const string Organizations = "orgs";
    public const string Teams = "teams";
    public const string Users = "users";
    public const string ServiceAccounts = "service_accounts";
    public const string Projects = "projects";
    public const string Grants = "grants";
    public const string Keys = "keys";
    public const string AccessTokens = "access_tokens";
    public const string Issuers = "issuers";
    public const string KeyUsage = "key_usage";
    public const string Meta = "meta";
    public const string Audit = "audit";
    public const string LearnedIds = "learned_ids";
    public const string Usage = "usage";
}
