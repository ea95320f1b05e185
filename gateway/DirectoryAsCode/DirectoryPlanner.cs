using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.Admin;
using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.Policy.Model;
using Gateway.Store;

namespace Gateway.DirectoryAsCode;

/// <summary>One change apply would make, or could not: the line says which (<c>+ team ml</c>, <c>~ user bob: orgRole member -> admin</c>).</summary>
internal sealed record DirectoryRefusal(string Change, int Status, string Code, string? Detail);

/// <summary>What applying a document does: its changes in order, the ones the caller may not make, and the one change set holding the rest.</summary>
internal sealed record DirectoryPlan(string ChangeSetId, IReadOnlyList<string> Changes, IReadOnlyList<DirectoryRefusal> Refusals, ChangeSet ChangeSet)
{
    /// <summary>Refusals that told the caller about an object of another organization (see <see cref="ProbeGuard"/>): counted and audited like the endpoints' own.</summary>
    public IReadOnlyList<DirectoryProbe> Probes { get; init; } = [];
}

/// <summary>A uniqueness conflict with something the caller cannot see: the audit action, the problem code, the value (hashed when recorded).</summary>
internal sealed record DirectoryProbe(string Action, string Code, string Value);

/// <summary>
/// Plans a document against the directory as the caller sees it (<see cref="DirectoryExporter"/>): each
/// object that differs is one step, and each step runs the admin API's own checks for what it changes
/// (<see cref="AdminAccess"/>, <see cref="DirectoryRules"/>, the endpoints' field rules) on the directory
/// as the steps before it left it. A refused step is listed with the admin API's status and code and
/// the rest go on, so one run lists every refusal; the caller applies only a plan without any.
/// Steps run in dependency order: issuers, new teams, users, service accounts, projects and their
/// grants, then deletions in reverse (projects, service accounts, users, teams, issuers). Pure: the same
/// inputs plan the same changes (the directory service may plan again after a conflict).
/// </summary>
internal sealed partial class DirectoryPlanner
{
    private readonly IGatewayStore _store;
    private readonly AdminCaller _caller;
    private readonly DateTimeOffset _now;
    private readonly string _org;
    private readonly ChangeSet _all = new();
    private readonly List<string> _lines = [];
    private readonly List<DirectoryRefusal> _refusals = [];
    private readonly List<DirectoryProbe> _probes = [];
    private readonly string _changeSetId;
    private DirectorySnapshot _w;
    private DirectoryDocument? _want;

    // Set by an overlap refusal whose other mapping the caller does not manage (the answer is then a probe).
    private bool _hiddenOverlap;

    private DirectoryPlanner(DirectorySnapshot d, IGatewayStore store, AdminCaller caller, DateTimeOffset now, string org, string changeSetId)
        => (_w, _store, _caller, _now, _org, _changeSetId) = (d, store, caller, now, org, changeSetId);

    private Principal Caller => _caller.Principal;

    public static DirectoryPlan Plan(DirectoryDocument document, DirectorySnapshot d, IGatewayStore store, AdminCaller caller, DateTimeOffset now, string changeSetId)
    {
        AdminAccess.RequireOwnOrg(d, caller.Principal, document.Organization);
        var current = DirectoryExporter.Export(d, store, caller.Principal, document.Organization, includeKeys: document.Keys is not null);
        var planner = new DirectoryPlanner(d, store, caller, now, document.Organization, changeSetId);
        planner.Run(document, current);
        if (planner._lines.Count > 0 && planner._refusals.Count == 0)
        {
            var counts = string.Join(' ', "+~-".Select(op => $"{op}{planner._lines.Count(l => l[0] == op)}"));
            planner._all.Record(caller.Audit(now, document.Organization, "directory.apply", document.Organization, $"changeSet={changeSetId} changes={planner._lines.Count} {counts}"));
        }

        return new DirectoryPlan(changeSetId, planner._lines, planner._refusals, planner._all) { Probes = planner._probes };
    }

    private void Run(DirectoryDocument want, DirectoryDocument have)
    {
        _want = want;
        var issuers = Pair(want.Issuers, have.Issuers, i => i.Issuer, NormalizeIssuer);
        var teams = Pair(want.Teams, have.Teams, t => t.Name, t => t);
        var users = Pair(want.Users, have.Users, u => u.Username, NormalizeUser);
        var accounts = Pair(want.ServiceAccounts, have.ServiceAccounts, a => a.DisplayNameIn(_org), NormalizeAccount);
        var projects = Pair(want.Projects, have.Projects, p => p.Key, NormalizeProject);

        foreach (var (name, wanted, had) in issuers.Where(p => p.Want is not null))
        {
            Upsert("issuer", name, wanted!, had, () => CreateIssuer(wanted!), () => UpdateIssuer(wanted!));
        }

        foreach (var (name, _, _) in teams.Where(p => p.Have is null))
        {
            Step($"+ team {name}", "team.create", name, changes => CreateTeam(name, changes));
        }

        foreach (var (name, wanted, had) in users.Where(p => p.Want is not null))
        {
            Upsert("user", name, wanted!, had, () => CreateUser(wanted!), () => UpdateUser(wanted!));
        }

        foreach (var (name, wanted, had) in accounts.Where(p => p.Want is not null))
        {
            Upsert("service-account", name, wanted!, had, () => CreateAccount(wanted!), () => UpdateAccount(name, wanted!, had!));
        }

        foreach (var (name, wanted, had) in projects.Where(p => p.Want is not null))
        {
            Upsert("project", name, wanted!, had, () => CreateProject(wanted!), () => UpdateProject(wanted!, had!));
        }

        foreach (var (name, _, had) in projects.Where(p => p.Want is null))
        {
            Step($"- project {name}", "project.delete", name, changes => DeleteProject(had!, changes));
        }

        foreach (var (name, _, _) in accounts.Where(p => p.Want is null))
        {
            Step($"- service-account {name}", "service_account.delete", name, changes => DeleteAccount(name, changes));
        }

        foreach (var (name, _, _) in users.Where(p => p.Want is null))
        {
            Step($"- user {name}", "user.delete", name, changes => DeleteUser(name, changes));
        }

        foreach (var (name, _, _) in teams.Where(p => p.Want is null))
        {
            Step($"- team {name}", "team.delete", name, changes => DeleteTeam(name, changes));
        }

        foreach (var (name, _, _) in issuers.Where(p => p.Want is null))
        {
            Step($"- issuer {name}", "issuer.delete", name, changes => DeleteIssuer(name, changes));
        }

        if (want.Keys is not null)
        {
            CheckKeys(want.Keys, have.Keys ?? []);
        }
    }

    // A create when the caller's view lacks it, an update when it differs, nothing when equal.
    private void Upsert<T>(string kind, string name, T wanted, T? had, Func<Action<ChangeSet>> create, Func<Action<ChangeSet>> update) where T : class
    {
        if (had is null)
        {
            Step($"+ {kind} {name}", Action(kind, "create"), name, create());
            return;
        }

        var differences = Differences(had, wanted);
        if (differences.Count > 0)
        {
            // The audit keeps names and ids, not people's emails and names (as PATCH /users audits "email changed").
            var audited = Differences(had, wanted, redact: true);
            Step($"~ {kind} {name}: {string.Join(", ", differences)}", Action(kind, "update"), name, update(),
                $"~ {kind} {name}: {string.Join(", ", audited)}");
        }
    }

    /// <summary>
    /// A refusal that says an object of another organization exists, as the create endpoints judge it
    /// (<see cref="ProbeGuard.CountingConflicts"/>, the issuer and subject conflicts): null when the
    /// conflicting object is one the caller may see anyway.
    /// </summary>
    private DirectoryProbe? ProbeOf(string code, string action, string target)
    {
        switch (code)
        {
            case ProblemCodes.NameTaken when action is "team.create" or "user.create" && DirectoryRules.HeldElsewhere(_w, _org, target, null):
                return new DirectoryProbe(action + "_conflict", code, target);
            case ProblemCodes.EmailTaken when _want?.Users?.FirstOrDefault(u => u.Username == target) is { } user && DirectoryRules.HeldElsewhere(_w, _org, null, user.Email):
                return new DirectoryProbe(action + "_conflict", code, user.Email.ToLowerInvariant());
            case ProblemCodes.IssuerExists when _w.Issuers.TryGetValue(target, out var issuer) && issuer.Org != _org:
                return new DirectoryProbe("issuer.create_conflict", code, target);
            case ProblemCodes.SubjectTaken when _want?.ServiceAccounts?.FirstOrDefault(a => a.DisplayNameIn(_org) == target) is { Issuer: { } url, Subject: { } subject }
                && _w.AccountsBySubject.TryGetValue((url, subject), out var holder) && !AdminAccess.CanManageAccount(_w, Caller, holder):
                return new DirectoryProbe("service_account.subject_conflict", code, url + " " + subject);
            case ProblemCodes.FederationRuleOverlap when _hiddenOverlap:
                return new DirectoryProbe("service_account.rule_conflict", code, target);
            default:
                return null;
        }
    }

    /// <summary>
    /// Deleting a principal takes its grants and personal projects with it (as DELETE does): refused
    /// while the document still lists them, or the directory would not end as the document says.
    /// </summary>
    private void RequireUnreferenced(Principal principal)
    {
        var projects = (_want?.Projects ?? []).Where(p => p.Entity == principal.DisplayName || (p.Grants?.ContainsKey(principal.DisplayName) ?? false))
            .Select(p => p.Key).Order(StringComparer.Ordinal).ToList();
        if (projects.Count > 0)
        {
            throw AdminProblemException.Conflict(DirectoryProblemCodes.StillReferenced,
                $"'{principal.DisplayName}' is left out of the document but still named by project(s) {string.Join(", ", projects)}: remove those grants or projects too.");
        }
    }

    private static string Action(string kind, string verb) => kind.Replace('-', '_') + "." + verb;

    /// <summary>
    /// Runs one step: its checks and changes on the directory as the earlier steps left it. A refusal
    /// (the admin API's own problem) is listed and changes nothing; later steps still run.
    /// </summary>
    private void Step(string line, string action, string target, Action<ChangeSet> plan, string? audited = null)
    {
        _lines.Add(line);
        _hiddenOverlap = false;
        var changes = new ChangeSet();
        try
        {
            plan(changes);
        }
        catch (AdminProblemException ex)
        {
            var fields = ex.Problem.Errors is { Count: > 0 } errors
                ? string.Join("; ", errors.OrderBy(e => e.Key, StringComparer.Ordinal).SelectMany(e => e.Value))
                : null;
            _refusals.Add(new DirectoryRefusal(line, ex.Problem.Status, ex.Problem.Code, fields ?? ex.Problem.Detail));
            if (ProbeOf(ex.Problem.Code, action, target) is { } probe)
            {
                _probes.Add(probe);
            }

            return;
        }

        changes.Record(_caller.Audit(_now, _org, action, target, $"{audited ?? line} changeSet={_changeSetId}"));
        _w = _w.Apply(changes);
        _all.Append(changes);
    }

    // Wanted and current objects of one kind by key, sorted ordinally; a section left out is not managed.
    private static List<(string Name, T? Want, T? Have)> Pair<T>(IReadOnlyList<T>? wanted, IReadOnlyList<T>? current, Func<T, string> key, Func<T, T> normalize) where T : class
    {
        if (wanted is null)
        {
            return [];
        }

        var want = new Dictionary<string, T>(StringComparer.Ordinal);
        foreach (var item in wanted)
        {
            if (!want.TryAdd(key(item), normalize(item)))
            {
                throw new AdminProblemException(400, DirectoryProblemCodes.InvalidDocument, $"'{key(item)}' is listed twice.");
            }
        }

        var have = (current ?? []).ToDictionary(key, StringComparer.Ordinal);
        return [.. want.Keys.Union(have.Keys).Order(StringComparer.Ordinal)
            .Select(k => (k, want.GetValueOrDefault(k), have.GetValueOrDefault(k)))];
    }

    /// <summary>The fields that differ, as <c>field old -> new</c> (<c>-</c> for absent); maps by their keys (<c>teams.ml viewer -> admin</c>).</summary>
    public static List<string> Differences<T>(T before, T after, bool redact = false)
    {
        var a = Flatten(JsonSerializer.SerializeToNode(before, DirectoryFormat.Options));
        var b = Flatten(JsonSerializer.SerializeToNode(after, DirectoryFormat.Options));
        return [.. a.Keys.Union(b.Keys).Where(k => a.GetValueOrDefault(k) != b.GetValueOrDefault(k))
            .Select(k => redact && k is "email" or "name" ? $"{k} changed" : $"{k} {a.GetValueOrDefault(k) ?? "-"} -> {b.GetValueOrDefault(k) ?? "-"}")];
    }

    private static Dictionary<string, string> Flatten(JsonNode? node)
    {
        var leaves = new Dictionary<string, string>(StringComparer.Ordinal);
        void Walk(JsonNode? n, string path)
        {
            switch (n)
            {
                case JsonObject o:
                    foreach (var (key, value) in o)
                    {
                        Walk(value, path.Length == 0 ? key : path + "." + key);
                    }

                    break;
                case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                    leaves[path] = v.GetValue<string>();
                    break;
                case null:
                    break;
                default:
                    leaves[path] = n.ToJsonString();
                    break;
            }
        }

        Walk(node, "");
        return leaves;
    }

    private static SortedDictionary<string, string> Sorted(IReadOnlyDictionary<string, string>? map)
        => new(map?.ToDictionary() ?? [], StringComparer.Ordinal);

    private static T Parse<T>(string text) where T : struct, Enum
        => Wire.TryParse<T>(text, out var value) ? value : throw new AdminProblemException(400, DirectoryProblemCodes.InvalidDocument, $"'{text}' is not one of {Wire.Expected<T>()}.");
}

/// <summary>Problem codes of the directory document endpoints.</summary>
internal static class DirectoryProblemCodes
{
    /// <summary>Apply with <c>?plan=</c>: the changes it would make now are not the ones the dry run showed.</summary>
    public const string PlanChanged = "plan_changed";

    /// <summary>The document is not JSON or YAML, or does not match docs/directory.schema.json (every error listed).</summary>
    public const string InvalidDocument = "invalid_document";

    /// <summary>Apply was refused: at least one change is not the caller's to make; nothing was written (each one listed).</summary>
    public const string ChangesRefused = "directory_changes_refused";

    /// <summary>A key the document lists does not exist: apply never creates keys (there is no secret in a document).</summary>
    public const string KeyNotCreatable = "key_not_creatable";

    /// <summary>A key differs from the document: apply never changes keys (keys update and keys rotate do).</summary>
    public const string KeyNotChangeable = "key_not_changeable";

    /// <summary>A principal the document deletes is still named by a project or grant the document keeps.</summary>
    public const string StillReferenced = "still_referenced";

    /// <summary>A field that cannot change in place (a service account's scope, authentication, issuer, subject, access).</summary>
    public const string ImmutableField = "immutable_field";
}
