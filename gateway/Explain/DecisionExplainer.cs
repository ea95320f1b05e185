using System.Net;
using System.Text.Json;
using Gateway.Authentication;
using Gateway.Directory;
using Gateway.Policy.Model;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.Explain;

/// <summary>The proxy listener's pipeline after the trusted-proxy stage (captured when the app is built), for explain to run requests through.</summary>
internal sealed class ProxyPipeline
{
    public RequestDelegate? Next { get; set; }
}

/// <summary>A request to explain: who sends it (a key id or a principal, never a secret) and what it is.</summary>
internal sealed record ExplainRequest(string? Key, string? Principal, string Method, string PathAndQuery, string? Host,
    IReadOnlyList<KeyValuePair<string, string>> Headers, byte[]? Body, IPAddress? Client);

/// <summary>What the decision was, as the proxy would answer, and the steps that led to it.</summary>
internal sealed record ExplainOutcome(bool Allowed, int Status, string? Code, string? Detail, string? Restriction, string? Entity, string? Project, IReadOnlyList<ExplainStep> Steps);

/// <summary>
/// Explains a request by deciding it: the request is built in process and run through the proxy
/// listener's own pipeline (raw-path checks, routing, the route's scope, the authorization middleware)
/// with an <see cref="ExplainFeature"/>, which makes the middleware take the given identity, record
/// every step and stop before forwarding or counting anything. There is no second implementation of
/// any rule, so the explanation and the proxy's answer cannot disagree.
/// </summary>
internal sealed class DecisionExplainer(ProxyPipeline pipeline, DirectoryService directory, IServiceProvider services, TimeProvider time)
{
    public async Task<ExplainOutcome> ExplainAsync(ExplainRequest request, CancellationToken cancel)
    {
        var steps = new List<ExplainStep>();
        var identity = Identify(request, steps);
        if (identity is null)
        {
            return new ExplainOutcome(false, 401, Diagnostics.ProblemCodes.InvalidCredentials, steps[^1].Detail, null, null, null, steps);
        }

        var explain = new ExplainFeature(identity.Value);
        explain.Steps.AddRange(steps);
        await using var scope = services.CreateAsyncScope();
        var responseBody = new MemoryStream();
        var context = Build(request, explain, responseBody, scope.ServiceProvider, cancel);
        await (pipeline.Next ?? throw new InvalidOperationException("The proxy pipeline was not captured."))(context);
        if (explain.Allowed)
        {
            explain.Add("outcome", "allowed", $"Forwarded with identity headers naming {identity.Value.Principal!.DisplayName}"
                + (explain.Entity is null ? "" : $", entity {explain.Entity}") + (explain.Project is null ? "" : $", project {explain.Project}") + ".");
            return new ExplainOutcome(true, 200, null, null, null, explain.Entity, explain.Project, explain.Steps);
        }

        string? code = null, detail = null, restriction = null;
        if (responseBody.Length > 0 && context.Response.ContentType == Diagnostics.GatewayProblem.ContentType)
        {
            using var problem = JsonDocument.Parse(responseBody.ToArray());
            code = problem.RootElement.TryGetProperty("code", out var c) ? c.GetString() : null;
            detail = problem.RootElement.TryGetProperty("detail", out var d) ? d.GetString() : null;
            restriction = problem.RootElement.TryGetProperty("restriction", out var r) ? r.GetString() : null;
        }

        var status = context.Response.StatusCode;
        if (explain.Steps.Count == steps.Count)
        {
            explain.Add("route", "none", "No proxy route matches this method, host and path (or the path was refused before routing).");
        }

        explain.Add("outcome", "refused", $"{status} {code}" + (detail is null ? "" : $": {detail}"));
        return new ExplainOutcome(false, status, code, detail, restriction, null, null, explain.Steps);
    }

    // The identity as authentication would have established it, from the store and the current directory.
    private AuthenticationResult? Identify(ExplainRequest request, List<ExplainStep> steps)
    {
        var snapshot = directory.Current;
        if (request.Key is { } keyId)
        {
            var key = directory.Store.FindKeyById(keyId);
            var now = time.GetUtcNow();
            string? failure = key is null ? "no such key" : key.RevokedAt is not null ? "key_revoked" : key.ExpiresAt <= now ? "key_expired"
                : !snapshot.TryGetPrincipal(key.OwnerId, out var owner) ? "key_owner_deleted" : !owner.Active ? "principal_inactive" : null;
            if (failure is not null || key is null || !snapshot.TryGetPrincipal(key.OwnerId, out var principal))
            {
                steps.Add(new ExplainStep("credential", "refused", $"Key {keyId} would not authenticate: {failure}."));
                return null;
            }

            steps.Add(new ExplainStep("credential", "authenticated", $"Key {keyId} ({Store.Wire.Of(key.Format)}) of {principal.DisplayName}"
                + (key.Restrictions is { IsEmpty: false } r ? $"; restricted: {Admin.KeyRestrictionFields.Describe(r)}." : "; no restrictions.")));
            steps.Add(Principal(principal));
            return AuthenticationResult.Success(principal, key) with { Snapshot = snapshot };
        }

        if (request.Principal is { } name && snapshot.TryGetPrincipalByName(name, out var named))
        {
            if (!named.Active)
            {
                steps.Add(new ExplainStep("credential", "refused", $"{named.DisplayName} is deactivated: none of its credentials authenticate."));
                return null;
            }

            steps.Add(new ExplainStep("credential", "assumed", $"Any unrestricted credential of {named.DisplayName}."));
            steps.Add(Principal(named));
            return new AuthenticationResult(AuthenticationOutcome.Succeeded, named, null, AuthMethods.ApiKey, "", null) { Snapshot = snapshot };
        }

        steps.Add(new ExplainStep("credential", "refused", $"No principal named '{request.Principal}'."));
        return null;
    }

    private static ExplainStep Principal(Principal principal) => new("principal", "active", principal switch
    {
        User user => $"User {user.Username} of {user.Org} (org {Store.Wire.Of(user.OrgRole)}); teams: "
            + (user.Teams.Count == 0 ? "none" : string.Join(", ", user.Teams.Select(t => $"{t.Key} ({Store.Wire.Of(t.Value)})"))) + ".",
        ServiceAccount account => $"Service account {account.DisplayName}: {Store.Wire.Of(account.Scope)}-scoped, team {account.Team}, access {Store.Wire.Of(account.Access)}.",
        _ => principal.DisplayName,
    });

    private static DefaultHttpContext Build(ExplainRequest request, ExplainFeature explain, Stream responseBody, IServiceProvider services, CancellationToken cancel)
    {
        var context = ForwardAuth.InProcessRequest.Build(request.Method, "http", "HTTP/1.1", request.Host, request.PathAndQuery, request.Headers,
            request.Body, request.Client, responseBody, services, cancel);
        context.Features.Set(explain);
        return context;
    }
}
