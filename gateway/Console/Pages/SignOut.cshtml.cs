using Gateway.Directory;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;

namespace Gateway.OperatorConsole.Pages;

/// <summary>Ends the session everywhere (revoked in the store) and clears the cookie. POST only, with its anti-forgery token.</summary>
internal sealed class SignOutModel(ConsoleSessions sessions, DirectoryService directory) : PageModel
{
    public IActionResult OnGet() => Redirect("/");

    public IActionResult OnPost()
    {
        var token = Request.Cookies[ConsoleSessions.CookieName(Request)];
        if (sessions.Find(directory, token, HttpContext.Connection.RemoteIpAddress?.ToString()) is { } session)
        {
            sessions.End(directory, session);
        }

        ConsoleCookies.Clear(Response, Request);
        return Redirect("/sign-in");
    }
}
