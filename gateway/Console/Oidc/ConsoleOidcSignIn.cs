using System.Text;
using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.Hosting;
using Gateway.Policy.Model;
using Gateway.Store;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Gateway.OperatorConsole.Oidc;

/// <summary>
/// The end of an identity provider sign-in, once the handler has redeemed the code (with its PKCE
/// verifier) and validated the ID token (signature, issuer, audience, lifetime, nonce): maps the person
/// to a user of the provider's organization and starts the same console session an API key starts,
/// in one write with its audit (and the user's creation, when the organization allows it). No
/// ASP.NET sign-in scheme is involved: the console's own session cookie is the only outcome.
/// </summary>
internal sealed partial class ConsoleOidcSignIn(DirectoryService directory, ConsoleSessions sessions, TimeProvider time, ILogger<ConsoleOidcSignIn> logger)
{
    private readonly record struct Outcome(string? Refusal, string? Token, ApiKey? Session, User? User, bool Created);

    public async Task TicketReceivedAsync(TicketReceivedContext context, string org, ConsoleOidcOptions provider)
    {
        context.HandleResponse();
        var http = context.HttpContext;
        var identity = OidcIdentity.From(context.Principal!, provider);
        var issuer = context.Principal!.Claims.FirstOrDefault()?.Issuer ?? provider.Authority!;
        var address = http.Connection.RemoteIpAddress?.ToString();
        Outcome outcome;
        try
        {
            outcome = directory.Write(d => Plan(d, org, provider, identity, issuer, address));
        }
        catch (StoreUnavailableException)
        {
            RefuseTo(http, OidcRefusals.StoreUnavailable);
            return;
        }

        if (outcome.Refusal is { } refusal)
        {
            Log.Refused(logger, org, refusal);
            RefuseTo(http, refusal);
            return;
        }

        Log.SignedIn(logger, org, outcome.User!.Username, outcome.Session!.KeyId, outcome.Created);
        ConsoleCookies.Set(http.Response, http.Request, outcome.Token!, outcome.Session.CreatedAt, outcome.Session.ExpiresAt!.Value);
        // Not a redirect: the provider's page started this navigation, and a browser withholds the
        // session's SameSite=Strict cookie along a redirect chain that began on another site. The
        // refresh below is a navigation of the console's own page, which carries it.
        http.Response.StatusCode = StatusCodes.Status200OK;
        http.Response.ContentType = "text/html; charset=utf-8";
        await http.Response.WriteAsync(ContinuePage, Encoding.UTF8, http.RequestAborted);
    }

    private (ChangeSet, Outcome) Plan(DirectorySnapshot d, string org, ConsoleOidcOptions provider, OidcIdentity identity, string issuer, string? address)
    {
        var now = time.UtcNowMillis();
        var resolution = ConsoleOidcMapping.Resolve(d, org, provider, identity, now);
        var detail = $"method=oidc issuer={issuer} subject={identity.Subject ?? "-"}";
        var changes = new ChangeSet();
        if (resolution.Refusal is { } refusal)
        {
            if (d.Organizations.ContainsKey(org))
            {
                changes.Record(new AuditEvent
                {
                    At = now, Org = org, Action = "console.sign_in_refused", Actor = "-", Target = identity.Name,
                    Address = address, Detail = $"{detail} reason={refusal}", Channel = "console",
                });
            }

            return (changes, new Outcome(refusal, null, null, null, false));
        }

        var user = resolution.User ?? resolution.ToCreate!;
        if (resolution.ToCreate is { } created)
        {
            changes.Put(created).Record(new AuditEvent
            {
                At = now, Org = org, Action = "user.create", Actor = created.Username, ActorId = created.Id, Target = created.Username,
                Address = address, Detail = $"orgRole=member {detail} createdAt=first-sign-in", Channel = "console",
            });
        }

        var (token, session) = sessions.Mint(user, now);
        changes.Put(session).Record(new AuditEvent
        {
            At = now, Org = org, Action = "console.sign_in", Actor = user.Username, ActorId = user.Id, Target = user.Username,
            Address = address, Detail = $"{detail} session={session.KeyId} expiresAt={session.ExpiresAt:O}", Channel = "console",
        });
        return (changes, new Outcome(null, token, session, user, resolution.ToCreate is not null));
    }

    /// <summary>The provider answered an error, or the code, state, nonce or token did not check out: back to sign-in, with a reason.</summary>
    public Task RemoteFailureAsync(RemoteFailureContext context, string org)
    {
        context.HandleResponse();
        // The exception's type only: its message may quote what the provider sent.
        Log.Failed(logger, org, context.Failure?.GetType().Name ?? "-");
        RefuseTo(context.HttpContext, OidcRefusals.Failed);
        return Task.CompletedTask;
    }

    public Task AccessDeniedAsync(AccessDeniedContext context, string org)
    {
        context.HandleResponse();
        Log.Failed(logger, org, "access_denied");
        RefuseTo(context.HttpContext, OidcRefusals.Denied);
        return Task.CompletedTask;
    }

    /// <summary>A check of the gateway's own refused the flow (named by <paramref name="reason"/>).</summary>
    public void Failed(string org, string reason) => Log.Failed(logger, org, reason);

    /// <summary>Back to the sign-in page, which shows the code's message (it shows nothing for an unknown one).</summary>
    public static void RefuseTo(HttpContext http, string code) => http.Response.Redirect("/sign-in?oidc=" + Uri.EscapeDataString(code));

    private const string ContinuePage = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="refresh" content="0;url=/">
        <title>Signed in · ML auth gateway</title>
        <link rel="stylesheet" href="/console/console.css">
        </head>
        <body>
        <main class="signin"><p>Signed in. <a href="/">Continue to the console</a>.</p></main>
        </body>
        </html>
        """;

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.ConsoleOidcSignedIn, EventName = "ConsoleOidcSignedIn", Level = LogLevel.Information,
            Message = "Console sign-in through the identity provider of {Org}: {User}, session {SessionId} (user created: {Created}).")]
        public static partial void SignedIn(ILogger logger, string org, string user, string sessionId, bool created);

        [LoggerMessage(EventId = EventIds.ConsoleOidcRefused, EventName = "ConsoleOidcRefused", Level = LogLevel.Information,
            Message = "Console sign-in through the identity provider of {Org} refused: {Reason}.")]
        public static partial void Refused(ILogger logger, string org, string reason);

        [LoggerMessage(EventId = EventIds.ConsoleOidcFailed, EventName = "ConsoleOidcFailed", Level = LogLevel.Information,
            Message = "Console sign-in through the identity provider of {Org} failed: {Failure}.")]
        public static partial void Failed(ILogger logger, string org, string failure);
    }
}
