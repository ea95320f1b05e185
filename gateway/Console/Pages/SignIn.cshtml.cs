using Gateway.Abuse;
using Gateway.Authentication;
using Gateway.Diagnostics;
using Gateway.Directory;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Gateway.OperatorConsole.Pages;

/// <summary>
/// Sign-in with an API key: the same authentication as the admin API (access tokens too, raw JWTs
/// never), counted against the same failed-authentication limits per address, audited the same way.
/// </summary>
internal sealed partial class SignInModel(
    CredentialAuthenticator authenticator, AuthenticationFailureAudit audit, ConsoleSessions sessions, DirectoryService directory, Configuration.GatewayOptions options,
    ILogger<SignInModel> logger) : PageModel
{
    public string? Message { get; private set; }

    /// <summary>The organizations whose identity provider signs people in (a button each): organization and button name.</summary>
    public IReadOnlyList<(string Org, string Name)> Providers { get; } = options.Console.Oidc.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value.DisplayName ?? p.Key)).ToList();

    public IActionResult OnGet([FromQuery] string? oidc)
    {
        var token = Request.Cookies[ConsoleSessions.CookieName(Request)];
        if (sessions.Find(directory, token, null) is not null)
        {
            return Redirect("/");
        }

        // An identity provider sign-in that ended in a refusal comes back here with its code.
        if (OperatorConsole.Oidc.OidcRefusals.Message(oidc) is { } refused)
        {
            Response.StatusCode = 403;
            Message = refused;
        }

        return Page();
    }

    /// <summary>Starts the sign-in at an organization's identity provider (a link, not a form: the page's form-action allows no other site).</summary>
    public async Task<IActionResult> OnGetOidcAsync([FromQuery] string? org)
    {
        if (org is null || !options.Console.Oidc.ContainsKey(org))
        {
            Response.StatusCode = 404;
            Message = OperatorConsole.Oidc.OidcRefusals.Message(OperatorConsole.Oidc.OidcRefusals.ProviderNotFound);
            return Page();
        }

        try
        {
            await HttpContext.ChallengeAsync(OperatorConsole.Oidc.ConsoleOidcSetup.Scheme(org), new AuthenticationProperties { RedirectUri = "/" });
        }
        catch (InvalidOperationException)
        {
            // The handler reads the provider's discovery document first; every failure to fetch or read it
            // (no answer, an error status, not JSON, http where https is required) comes as this one exception.
            HttpContext.RequestServices.GetRequiredService<OperatorConsole.Oidc.ConsoleOidcSignIn>().Failed(org, "provider_unavailable");
            OperatorConsole.Oidc.ConsoleOidcSignIn.RefuseTo(HttpContext, OperatorConsole.Oidc.OidcRefusals.ProviderUnavailable);
        }

        return new EmptyResult();
    }

    public async Task<IActionResult> OnPostAsync([FromForm] string? key)
    {
        key = key?.Trim();
        if (string.IsNullOrEmpty(key))
        {
            Response.StatusCode = 400;
            Message = ConsoleMessages.ForCode(ProblemCodes.CredentialsRequired);
            return Page();
        }

        var address = HttpContext.Connection.RemoteIpAddress;
        var result = await authenticator.AuthenticateAsync(new Credential(CredentialStatus.Present, key, CredentialSource.Bearer), address, allowRawJwt: false, HttpContext.RequestAborted);
        switch (result.Outcome)
        {
            case AuthenticationOutcome.Throttled:
                Log.SignInFailed(logger, result.FailureReason, result.KeyIdForLog ?? "-");
                ProxyProblems.Throttled(HttpContext, result);
                Response.StatusCode = 429;
                Message = ConsoleMessages.ForCode(ProblemCodes.TooManyFailedAuthentications);
                return Page();
            case AuthenticationOutcome.Unavailable:
                Response.Headers.RetryAfter = "5";
                Response.StatusCode = 503;
                Message = ConsoleMessages.ForCode(ProblemCodes.StoreUnavailable);
                return Page();
        }

        // A key limited to projects, or used from outside its networks, opens no console; a read-only one opens a read-only console.
        if (result.Succeeded && Admin.AdminKeyRestrictions.Refusal(result.Restrictions, result.KeyId!, address, writes: false) is { } restricted)
        {
            Log.SignInRestricted(logger, result.KeyId!, restricted.Restriction!);
            Response.StatusCode = 403;
            Message = ConsoleMessages.ForCode(ProblemCodes.KeyRestricted);
            return Page();
        }

        var started = result.Succeeded ? sessions.Start(directory, result, key, address?.ToString()) : null;
        if (started is not { } session)
        {
            if (!result.Succeeded)
            {
                Log.SignInFailed(logger, result.FailureReason, result.KeyIdForLog ?? "-");
                audit.Record(HttpContext, result, "console");
            }

            Response.StatusCode = 401;
            Message = ConsoleMessages.ForCode(ProblemCodes.InvalidCredentials);
            return Page();
        }

        ConsoleCookies.Set(Response, Request, session.Token, session.Stored.CreatedAt, session.Stored.ExpiresAt!.Value);
        return Redirect("/");
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.AuthenticationFailed, EventName = "AuthenticationFailed", Level = LogLevel.Information,
            Message = "Console sign-in failed: {Reason} (key id {KeyId}).")]
        public static partial void SignInFailed(ILogger logger, string reason, string keyId);

        [LoggerMessage(EventId = EventIds.AccessDenied, EventName = "SignInRestricted", Level = LogLevel.Information,
            Message = "Console sign-in refused: key {KeyId} is restricted ({Restriction}).")]
        public static partial void SignInRestricted(ILogger logger, string keyId, string restriction);
    }
}
