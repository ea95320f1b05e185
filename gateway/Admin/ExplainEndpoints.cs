using System.Net;
using System.Text.Json;
using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.Explain;
using Gateway.Policy.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gateway.Admin;

internal sealed record ExplainRequestBody(string? RequestId, string? Key, string? Principal, string? Method, string? Path, string? Host,
    Dictionary<string, string>? Headers, JsonElement? Body, string? ClientAddress);

internal sealed record RecordedRefusalView(DateTimeOffset At, string Route, string Method, string Path, string? Principal, string? KeyId,
    string? AuthenticationFailure, string? ClientAddress, int Status, string Code, bool BodyTruncated);

internal sealed record ExplainOutcomeView(bool Allowed, int Status, string? Code, string? Detail, string? Restriction, string? Entity, string? Project);

internal sealed record ExplainView(string? RequestId, RecordedRefusalView? Recorded, bool Replayed, bool? SameAsRecorded, ExplainOutcomeView Outcome, IReadOnlyList<ExplainStep> Steps);

/// <summary>
/// <c>POST /admin/v1/explain</c>: why a request was (or would be) refused, step by step, decided by the
/// proxy's own code (<see cref="DecisionExplainer"/>) without forwarding anything. Either a recent
/// refusal's request id (replayed from this replica's ring, as it was sent but without its credential)
/// or a synthetic request from a key id or a principal. Org admins for their organization, operators
/// for all; a read-only key may ask (it changes nothing).
/// </summary>
internal static class ExplainEndpoints
{
    public static void Map(RouteGroupBuilder admin) => admin.MapPost("/explain", ExplainAsync);

    private static async Task<IResult> ExplainAsync(HttpContext http, DirectoryService directory, DecisionExplainer explainer, RefusalRing refusals, TimeProvider time)
    {
        var caller = AdminCaller.From(http).Principal;
        var body = await AdminJson.ReadAsync<ExplainRequestBody>(http);
        if (body.RequestId is { } requestId)
        {
            return await ReplayAsync(http, caller, directory, explainer, refusals.Find(requestId), requestId, time);
        }

        var errors = new FieldErrors();
        if ((body.Key is null) == (body.Principal is null))
        {
            errors.Add("key", "Send 'requestId', or 'key' (a key id) or 'principal' (a name) with the request to explain.");
        }

        if (body.Method is null || body.Method.Length is 0 or > 16 || !body.Method.All(char.IsAsciiLetterUpper))
        {
            errors.Add("method", "'method' is required: an HTTP method in capitals (GET, POST...).");
        }

        if (body.Path is null || !body.Path.StartsWith('/'))
        {
            errors.Add("path", "'path' is required: the path and query the client sent, starting with '/'.");
        }

        IPAddress? client = null;
        if (body.ClientAddress is not null && !IPAddress.TryParse(body.ClientAddress, out client))
        {
            errors.Add("clientAddress", "'clientAddress' is not an IP address.");
        }

        byte[]? bytes = null;
        try
        {
            bytes = body.Body is not { } payload || payload.ValueKind == JsonValueKind.Null ? null
                : payload.ValueKind == JsonValueKind.String ? System.Text.Encoding.UTF8.GetBytes(payload.GetString()!)
                : JsonSerializer.SerializeToUtf8Bytes(payload);
        }
        catch (InvalidOperationException)
        {
            // A string that is no text (a lone surrogate escaped in it).
            errors.Add("body", "'body' is not valid text.");
        }

        errors.ThrowIfAny();
        var d = directory.Current;
        var org = body.Key is { } keyId
            ? OrgOfKey(directory, keyId)
            : d.TryGetPrincipalByName(body.Principal!, out var named) ? named.Org : null;
        if (org is null || !MayExplain(caller, org))
        {
            throw AdminProblemException.NotFound(ProblemCodes.PrincipalNotFound, body.Key is not null ? $"Key '{body.Key}'" : $"Principal '{body.Principal}'");
        }

        var headers = (body.Headers ?? []).Select(h => new KeyValuePair<string, string>(h.Key, h.Value)).ToList();
        if (bytes is not null && !headers.Any(h => h.Key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)))
        {
            headers.Add(new("Content-Type", "application/json"));
        }

        var outcome = await explainer.ExplainAsync(new ExplainRequest(body.Key, body.Principal, body.Method!, body.Path!, body.Host, headers, bytes, client), http.RequestAborted);
        return AdminJson.Json(new ExplainView(null, null, true, null, View(outcome), outcome.Steps));
    }

    private static async Task<IResult> ReplayAsync(HttpContext http, Principal caller, DirectoryService directory, DecisionExplainer explainer, RefusalRecord? record, string requestId, TimeProvider time)
    {
        var d = directory.Current;
        var org = record?.Org ?? (record?.KeyId is { } id ? OrgOfKey(directory, id) : null);
        if (record is null && Audited(directory, caller, requestId, time) is { } audited)
        {
            // Not in this replica's ring (another replica refused it, or it has been overwritten): what the audit kept.
            var actorName = d.TryGetPrincipal(audited.ActorId ?? "", out var actor) ? actor.DisplayName : audited.Actor;
            var status = int.TryParse(Field(audited.Detail, "status"), out var s) ? s : 0;
            var code = Field(audited.Detail, "code") ?? "";
            var view = new RecordedRefusalView(audited.At, audited.Target, "-", "-", actorName, audited.KeyId, null, audited.Address, status, code, false);
            var step = new ExplainStep("recorded", "refused", $"From the audit log ({audited.Action}): {actorName} was refused {status} {code} on route {audited.Target}. "
                + "This replica did not keep the request itself (another replica refused it, or more recent refusals have replaced it), so it cannot be replayed: "
                + "explain it as a request to try (key or principal, method, path, body).");
            return AdminJson.Json(new ExplainView(requestId, view, false, null, new ExplainOutcomeView(false, status, code, null, null, null, null), [step]));
        }

        // A refusal of another organization answers as one this replica never saw.
        if (record is null || (org is null ? !AdminAccess.IsOperator(caller) : !MayExplain(caller, org)))
        {
            throw new AdminProblemException(StatusCodes.Status404NotFound, "refusal_not_found",
                $"No recent refusal '{requestId}' on this replica (the last {RefusalRing.Capacity} refusals are kept, per replica).");
        }

        var principalName = record.PrincipalId is { } principalId && d.TryGetPrincipal(principalId, out var principal) ? principal.DisplayName : null;
        var recorded = new RecordedRefusalView(record.At, record.RouteId, record.Method, record.PathAndQuery, principalName, record.KeyId,
            record.AuthenticationFailure, record.Address, record.Status, record.Code, record.BodyTruncated);
        if (record.PrincipalId is null)
        {
            // Refused before anyone was authenticated: there is no decision to replay, only what authentication found.
            var step = new ExplainStep("credential", "refused", record.AuthenticationFailure is { } failure
                ? $"The credential did not authenticate: {failure}" + (record.KeyId is { } k ? $" (key id {k})." : ".")
                : $"Refused before authentication: {record.Code}.");
            return AdminJson.Json(new ExplainView(requestId, recorded, false, null,
                new ExplainOutcomeView(false, record.Status, record.Code, null, null, null, null), [step]));
        }

        // As the same key when it is still there (its restrictions as they are now), else as its principal.
        var viaKey = record.KeyId is { } keyId && directory.Store.FindKeyById(keyId) is not null;
        var replay = new ExplainRequest(viaKey ? record.KeyId : null, viaKey ? null : principalName ?? "",
            record.Method, record.PathAndQuery, record.Host, record.Headers, record.Body, RefusalRing.AddressOf(record));
        var outcome = await explainer.ExplainAsync(replay, http.RequestAborted);
        var same = outcome.Status == record.Status && outcome.Code == record.Code;
        return AdminJson.Json(new ExplainView(requestId, recorded, true, same, View(outcome), outcome.Steps));
    }

    // The refusal's audit event (request.refused, sampled), in an organization the caller may explain, from the last day.
    private static Store.AuditEvent? Audited(DirectoryService directory, Principal caller, string requestId, TimeProvider time)
    {
        var orgs = AdminAccess.IsOperator(caller) ? directory.Current.Organizations.Keys.ToList() : AdminAccess.IsOrgAdmin(caller, caller.Org) ? [caller.Org] : [];
        var token = "requestId=" + requestId + " ";
        foreach (var org in orgs)
        {
            var events = directory.Store.QueryAudit(new Store.AuditQuery(org, time.GetUtcNow().AddDays(-1), null, null, "request.refused", 1000));
            if (events.FirstOrDefault(e => e.Detail?.StartsWith(token, StringComparison.Ordinal) == true) is { } found)
            {
                return found;
            }
        }

        return null;
    }

    private static string? Field(string? detail, string name)
        => detail?.Split(' ').Select(p => p.Split('=', 2)).FirstOrDefault(p => p.Length == 2 && p[0] == name)?[1];

    // The organization of a key's owner, or null for no such key (or owner).
    private static string? OrgOfKey(DirectoryService directory, string keyId)
        => directory.Store.FindKeyById(keyId) is { } key && directory.Current.TryGetPrincipal(key.OwnerId, out var owner) ? owner.Org : null;

    private static bool MayExplain(Principal caller, string org) => AdminAccess.IsOrgAdmin(caller, org) || AdminAccess.IsOperator(caller);

    private static ExplainOutcomeView View(ExplainOutcome o) => new(o.Allowed, o.Status, o.Code, o.Detail, o.Restriction, o.Entity, o.Project);
}
