using Gateway.Abuse;
using Gateway.Authentication;
using Gateway.Diagnostics;
using Gateway.Directory;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Logging;

namespace Gateway.OperatorConsole.Pages;

/// <summary>
/// Sign-in with an API key: the same authentication as the admin API (access tokens too, raw JWTs
/// never), counted against the same failed-authentication limits per address, audited the same way.
/// </summary>
internal sealed partial class SignInModel(
    CredentialAuthenticator authenticator, AuthenticationFailureAudit audit, ConsoleSessions sessions, DirectoryService directory, ILogger<SignInModel> logger) : PageModel
{
    public string? Message { get; private set; }

    public IActionResult OnGet()
    {
        var token = Request.Cookies[ConsoleSessions.CookieName(Request)];
        return sessions.Find(directory, token, null) is not null ? Redirect("/") : Page();
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
