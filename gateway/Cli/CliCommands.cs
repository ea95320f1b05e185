using System.Text.Json.Nodes;

namespace Gateway.Cli;

/// <summary>One CLI command: its words, what it takes, and the admin API request it makes.</summary>
internal sealed record CliCommand(string Words, string Arguments, string Help, Func<CliArguments, CliRequest> Build);

/// <summary>An admin API request: method, path under /admin/v1, optional JSON body.</summary>
internal sealed record CliRequest(HttpMethod Method, string Path, JsonObject? Body = null);

/// <summary>
/// Every command, as a table: each maps its positional arguments and options onto one admin API call
/// (the console and the CLI authorize nothing themselves; the API does).
/// </summary>
internal static class CliCommands
{
    private static string E(string value) => Uri.EscapeDataString(value);

    private static JsonObject Body(params (string Name, JsonNode? Value)[] fields)
    {
        var body = new JsonObject();
        foreach (var (name, value) in fields)
        {
            if (value is not null)
            {
                body[name] = value;
            }
        }

        return body;
    }

    public static readonly CliCommand[] All =
    [
        new("whoami", "", "who the key belongs to", _ => new(HttpMethod.Get, "/whoami")),
        new("orgs list", "", "organizations the key may see", _ => new(HttpMethod.Get, "/orgs")),
        new("orgs create", "NAME --admin-username U --admin-email E", "a new organization and its first admin (operators)", a => new(HttpMethod.Post, "/orgs",
            Body(("name", a.At(0)), ("admin", Body(("username", a.Required("admin-username")), ("email", a.Required("admin-email"))))))),
        new("operators list", "", "gateway operators", _ => new(HttpMethod.Get, "/operators")),
        new("operators grant", "USERNAME", "make a user a gateway operator", a => new(HttpMethod.Put, $"/operators/{E(a.At(0))}", new JsonObject())),
        new("operators revoke", "USERNAME", "take the operator role away", a => new(HttpMethod.Delete, $"/operators/{E(a.At(0))}")),
        new("teams create", "ORG NAME", "a team", a => new(HttpMethod.Post, $"/orgs/{E(a.At(0))}/teams", Body(("name", a.At(1))))),
        new("teams list", "ORG", "teams the key can see, with members and roles", a => new(HttpMethod.Get, $"/orgs/{E(a.At(0))}/teams")),
        new("teams delete", "TEAM [--cascade]", "delete an empty team (--cascade: with its projects, team service accounts and memberships)",
            a => new(HttpMethod.Delete, $"/teams/{E(a.At(0))}" + (a.Flag("cascade") ? "?cascade=true" : ""))),
        new("users create", "ORG USERNAME --email E [--role member|admin]", "a user", a => new(HttpMethod.Post, $"/orgs/{E(a.At(0))}/users",
            Body(("username", a.At(1)), ("email", a.Required("email")), ("orgRole", a.Option("role")), ("defaultEntity", a.Option("default-entity"))))),
        new("users list", "ORG", "users (an org admin sees all, a member themselves)", a => new(HttpMethod.Get, $"/orgs/{E(a.At(0))}/users")),
        new("users get", "USERNAME", "a user", a => new(HttpMethod.Get, $"/users/{E(a.At(0))}")),
        new("users update", "USERNAME [--role member|admin] [--email E] [--default-entity USERNAME|TEAM] [--name \"FULL NAME\"]", "change a user's role, email, default entity or name",
            a => new(HttpMethod.Patch, $"/users/{E(a.At(0))}", Body(("orgRole", a.Option("role")), ("email", a.Option("email")), ("defaultEntity", a.Option("default-entity")), ("name", a.Option("name"))))),
        new("users deactivate", "USERNAME", "refuse the user's keys until reactivated; end their console sessions", a => new(HttpMethod.Post, $"/users/{E(a.At(0))}/deactivate")),
        new("users reactivate", "USERNAME", "accept the user's keys again", a => new(HttpMethod.Post, $"/users/{E(a.At(0))}/reactivate")),
        new("users delete", "USERNAME", "delete a user, their keys and personal projects", a => new(HttpMethod.Delete, $"/users/{E(a.At(0))}")),
        new("members set", "TEAM USERNAME --role admin|member|viewer", "add a member or change their role", a => new(HttpMethod.Put, $"/teams/{E(a.At(0))}/members/{E(a.At(1))}",
            Body(("role", a.Required("role"))))),
        new("members remove", "TEAM USERNAME", "remove a member", a => new(HttpMethod.Delete, $"/teams/{E(a.At(0))}/members/{E(a.At(1))}")),
        new("projects create", "ENTITY NAME [--visibility team|open|public|restricted]", "a project", a => new(HttpMethod.Post, $"/teams/{E(a.At(0))}/projects",
            Body(("name", a.At(1)), ("visibility", a.Option("visibility"))))),
        new("projects list", "[--entity ENTITY]", "projects the key may read or manage", a => new(HttpMethod.Get, "/projects" + Query(("entity", a.Option("entity"))))),
        new("projects get", "ENTITY PROJECT", "a project", a => new(HttpMethod.Get, $"/projects/{E(a.At(0))}/{E(a.At(1))}")),
        new("projects update", "ENTITY PROJECT --visibility V", "change a project's visibility", a => new(HttpMethod.Patch, $"/projects/{E(a.At(0))}/{E(a.At(1))}",
            Body(("visibility", a.Required("visibility"))))),
        new("projects delete", "ENTITY PROJECT", "delete a project and its grants", a => new(HttpMethod.Delete, $"/projects/{E(a.At(0))}/{E(a.At(1))}")),
        new("grants list", "ENTITY PROJECT", "who holds a grant on a project", a => new(HttpMethod.Get, $"/projects/{E(a.At(0))}/{E(a.At(1))}/grants")),
        new("grants set", "ENTITY PROJECT PRINCIPAL --role viewer|contributor|owner", "grant a role on a project", a => new(HttpMethod.Put, $"/projects/{E(a.At(0))}/{E(a.At(1))}/grants/{E(a.At(2))}",
            Body(("role", a.Required("role"))))),
        new("grants remove", "ENTITY PROJECT PRINCIPAL", "remove a grant", a => new(HttpMethod.Delete, $"/projects/{E(a.At(0))}/{E(a.At(1))}/grants/{E(a.At(2))}")),
        new("service-accounts create", "NAME (--team T [--federated --issuer URL (--subject S | --rule RULE --rule-subject PATTERN [--when CLAIM=PATTERN,...])] | --org ORG --default-team T) [--access scope|explicit] [--all-current-projects]",
            "a team- or org-scoped service account", CreateServiceAccount),
        new("service-accounts list", "[--team TEAM]", "the service accounts the key manages", a => new(HttpMethod.Get, "/service-accounts" + Query(("team", a.Option("team"))))),
        new("service-accounts get", "NAME@SCOPE", "a service account", a => new(HttpMethod.Get, $"/service-accounts/{E(a.At(0))}")),
        new("service-accounts update", "NAME@ORG --default-team TEAM", "move an org service account's default team", a => new(HttpMethod.Patch, $"/service-accounts/{E(a.At(0))}",
            Body(("defaultTeam", a.Required("default-team"))))),
        new("service-accounts delete", "NAME@SCOPE", "delete a service account and its keys", a => new(HttpMethod.Delete, $"/service-accounts/{E(a.At(0))}")),
        new("service-accounts deactivate", "NAME@SCOPE", "revoke its keys and tokens for good (a reactivated account starts with none: create new keys)", a => new(HttpMethod.Post, $"/service-accounts/{E(a.At(0))}/deactivate")),
        new("service-accounts reactivate", "NAME@SCOPE", "accept new keys again", a => new(HttpMethod.Post, $"/service-accounts/{E(a.At(0))}/reactivate")),
        new("keys list", "[--owner NAME] [--search TEXT]", "keys the caller may manage (never a secret)", a => new(HttpMethod.Get,
            "/keys" + Query(("owner", a.Option("owner")), ("q", a.Option("search"))))),
        new("keys create", "OWNER [--name N] [--format standard|legacy40] [--expires-at ISO-8601] [--access read|write] [--projects E/P,E/*] [--networks CIDR,CIDR]",
            "a key for a user or service account (printed once), optionally restricted", a => new(HttpMethod.Post,
            (a.At(0).Contains('@') ? $"/service-accounts/{E(a.At(0))}" : $"/users/{E(a.At(0))}") + "/keys",
            Body(("name", a.Option("name") ?? "cli"), ("format", a.Option("format")), ("expiresAt", a.Option("expires-at")),
                ("access", a.Option("access")), ("projects", List(a.Option("projects"))), ("allowedNetworks", List(a.Option("networks")))))),
        new("keys delete", "KEY-ID", "revoke a key", a => new(HttpMethod.Delete, $"/keys/{E(a.At(0))}")),
        new("keys update", "KEY-ID [--name N] [--expires-at ISO-8601 | --never-expires] [--access read|write] [--projects E/P,E/* | --any-project] [--networks CIDR,CIDR | --any-network]",
            "rename a key, change when it expires or what it is restricted to", a => new(HttpMethod.Patch, $"/keys/{E(a.At(0))}",
            Body(("name", a.Option("name")), ("expiresAt", a.Option("expires-at")), ("neverExpires", a.Flag("never-expires") ? true : null), ("access", a.Option("access")),
                ("projects", a.Flag("any-project") ? new JsonArray() : List(a.Option("projects"))),
                ("allowedNetworks", a.Flag("any-network") ? new JsonArray() : List(a.Option("networks")))))),
        new("keys rotate", "KEY-ID [--overlap 1d|12h|30m|0] [--name N] [--expires-at ISO-8601]", "a new key for the same owner (printed once); the old one works for the overlap (default 1d)",
            a => new(HttpMethod.Post, $"/keys/{E(a.At(0))}/rotate",
                Body(("overlapSeconds", a.Option("overlap") is { } overlap ? Seconds(overlap) : null), ("name", a.Option("name")), ("expiresAt", a.Option("expires-at"))))),
        new("limits get", "NAME", "a principal's own request limits (null: the configured ones)", a => new(HttpMethod.Get, $"/principals/{E(a.At(0))}/limits")),
        new("limits set", "NAME [--per-second N --burst N] [--per-day N]", "set a principal's request limits over the configured ones (org admins, operators)",
            a => new(HttpMethod.Put, $"/principals/{E(a.At(0))}/limits", Body(("permitsPerSecond", Number(a.Option("per-second"), "per-second")),
                ("burst", Number(a.Option("burst"), "burst")), ("requestsPerDay", Number(a.Option("per-day"), "per-day"))))),
        new("limits clear", "NAME", "back to the configured limits", a => new(HttpMethod.Delete, $"/principals/{E(a.At(0))}/limits")),
        new("federation-rules add", "NAME@TEAM RULE SUBJECT-PATTERN [--when CLAIM=PATTERN,...]", "map tokens whose sub and claims match to a federated service account",
            a => new(HttpMethod.Post, $"/service-accounts/{E(a.At(0))}/federation-rules", Rule(a.At(1), a.At(2), a.Option("when")))),
        new("federation-rules list", "NAME@TEAM", "a federated service account's claim rules", a => new(HttpMethod.Get, $"/service-accounts/{E(a.At(0))}/federation-rules")),
        new("federation-rules remove", "NAME@TEAM RULE", "delete a claim rule (tokens minted through it stop working)",
            a => new(HttpMethod.Delete, $"/service-accounts/{E(a.At(0))}/federation-rules/{E(a.At(1))}")),
        new("issuers list", "ORG", "trusted issuers and their key status", a => new(HttpMethod.Get, $"/orgs/{E(a.At(0))}/issuers")),
        new("issuers add", "ORG ISSUER-URL [--accept-raw-jwt]", "trust an OIDC issuer", a => new(HttpMethod.Post, $"/orgs/{E(a.At(0))}/issuers",
            Body(("issuer", a.At(1)), ("acceptRawJwt", a.Flag("accept-raw-jwt") ? true : null)))),
        new("issuers remove", "ORG ISSUER-URL", "stop trusting an issuer", a => new(HttpMethod.Delete, $"/orgs/{E(a.At(0))}/issuers" + Query(("issuer", a.At(1))))),
        new("audit", "[--action A] [--actor X] [--since T] [--until T] [--limit N]", "the audit log of the caller's organization", a => new(HttpMethod.Get,
            "/audit" + Query(("action", a.Option("action")), ("actor", a.Option("actor")), ("since", a.Option("since")), ("until", a.Option("until")), ("limit", a.Option("limit"))))),
    ];

    private static CliRequest CreateServiceAccount(CliArguments a)
    {
        var name = a.At(0);
        var access = a.Option("access");
        JsonNode? all = a.Flag("all-current-projects") ? true : null;
        if (a.Option("team") is { } team)
        {
            var federated = a.Flag("federated");
            var rule = federated && a.Option("rule") is { } ruleName ? new JsonArray(Rule(ruleName, a.Required("rule-subject"), a.Option("when"))) : null;
            return new(HttpMethod.Post, $"/teams/{E(team)}/service-accounts", Body(("name", name), ("authentication", federated ? "federated" : null),
                ("issuer", federated ? a.Required("issuer") : null), ("subject", federated ? (rule is null ? a.Required("subject") : a.Option("subject")) : null),
                ("rules", rule), ("access", access), ("grantAllCurrentProjects", all)));
        }

        var org = a.Option("org") ?? throw new CliUsageException("service-accounts create needs --team TEAM or --org ORG.");
        return new(HttpMethod.Post, $"/orgs/{E(org)}/service-accounts", Body(("name", name), ("defaultTeam", a.Required("default-team")), ("access", access), ("grantAllCurrentProjects", all)));
    }

    // A claim rule's body; --when "repository_owner=acme,environment=prod" (a pattern holding a comma needs the API).
    private static JsonObject Rule(string name, string subject, string? when)
    {
        JsonObject? conditions = null;
        foreach (var pair in (when ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = pair.IndexOf('=');
            if (eq <= 0)
            {
                throw new CliUsageException($"--when '{pair}' is not CLAIM=PATTERN.");
            }

            conditions ??= [];
            if (!conditions.TryAdd(pair[..eq], pair[(eq + 1)..]))
            {
                throw new CliUsageException($"--when names claim '{pair[..eq]}' twice.");
            }
        }

        return Body(("name", name), ("subject", subject), ("conditions", conditions));
    }

    private static JsonNode? Number(string? value, string option)
        => value is null ? null
            : double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var number)
                ? JsonValue.Create(number)
                : throw new CliUsageException($"--{option} '{value}' is not a number.");

    // "ml/a,ml/b" as a JSON array; absent stays absent.
    private static JsonArray? List(string? value)
        => value is null ? null : new JsonArray([.. value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(v => (JsonNode)JsonValue.Create(v))]);

    // "1d", "12h", "30m", "90s" or plain seconds.
    private static long Seconds(string duration)
    {
        var unit = duration.Length > 0 && char.IsLetter(duration[^1]) ? duration[^1] : 's';
        var number = char.IsLetter(unit) && duration.Length > 0 && char.IsLetter(duration[^1]) ? duration[..^1] : duration;
        if (!int.TryParse(number, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            throw new CliUsageException($"--overlap '{duration}' is not a duration: write 1d, 12h, 30m, 90s or a number of seconds.");
        }

        return unit switch
        {
            'd' => value * 86_400L,
            'h' => value * 3_600L,
            'm' => value * 60L,
            's' => value,
            _ => throw new CliUsageException($"--overlap '{duration}' is not a duration: write 1d, 12h, 30m, 90s or a number of seconds."),
        };
    }

    private static string Query(params (string Name, string? Value)[] parameters)
    {
        var present = parameters.Where(p => p.Value is not null).Select(p => $"{p.Name}={E(p.Value!)}").ToList();
        return present.Count == 0 ? "" : "?" + string.Join('&', present);
    }
}
