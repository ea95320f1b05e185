using Gateway.Admin;
using Gateway.Directory;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Filters;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.DependencyInjection;

namespace Gateway.OperatorConsole;

/// <summary>
/// The base of every signed-in console page: resolves the session cookie before any handler runs
/// (none or a dead one: back to sign-in), and talks to the admin API in process as that caller.
/// Page handlers hold no authorization rule of their own: the endpoint they call decides.
/// </summary>
internal abstract class ConsolePageModel : PageModel
{
    public ConsoleSession Session { get; private set; } = null!;

    /// <summary>A refusal or success message for the banner, already readable.</summary>
    public string? Message { get; protected set; }

    public bool MessageIsError { get; protected set; }

    /// <summary>Per-field messages from the last refused form.</summary>
    public IReadOnlyDictionary<string, string[]> FieldErrors { get; protected set; } = new Dictionary<string, string[]>();

    public string Org => Session.Principal.Org;

    [NonHandler]
    public override async Task OnPageHandlerExecutionAsync(PageHandlerExecutingContext context, PageHandlerExecutionDelegate next)
    {
        var services = HttpContext.RequestServices;
        var sessions = services.GetRequiredService<ConsoleSessions>();
        var token = Request.Cookies[ConsoleSessions.CookieName(Request)];
        var session = sessions.Find(services.GetRequiredService<DirectoryService>(), token, HttpContext.Connection.RemoteIpAddress?.ToString());
        if (session is null)
        {
            if (token is not null)
            {
                ConsoleCookies.Clear(Response, Request);
            }

            context.Result = new RedirectResult("/sign-in");
            return;
        }

        Session = session;
        ViewData["Signed"] = session;
        if (HttpMethods.IsGet(Request.Method))
        {
            // What the POST before the redirect had to say (see ConsoleOnce).
            var (message, secret) = ConsoleOnce.Take<OnceSecret>(Response, Request);
            if (message is not null)
            {
                Message = message;
                MessageIsError = false;
            }

            CreatedKey = secret?.Key;
            CreatedOrg = secret?.Org;
        }

        await next();
    }

    /// <summary>A secret shown once after a redirect: a new key, or a new organization with its admin's key.</summary>
    internal sealed record OnceSecret(CreatedKeyView? Key, CreatedOrgView? Org);

    /// <summary>The organization just created (with its first admin's key), shown once.</summary>
    public CreatedOrgView? CreatedOrg { get; protected set; }

    /// <summary>
    /// Post/Redirect/Get: after a successful action, redirect to this page (without the handler) with
    /// its banner and any one-time secret, so a refresh never repeats the action; after a refusal,
    /// render the page with the refusal and the form's errors (nothing was done, so nothing repeats).
    /// </summary>
    protected async Task<IActionResult> AfterPostAsync(Func<Task> load)
    {
        if (Message is not null && !MessageIsError)
        {
            var secret = CreatedKey is null && CreatedOrg is null ? null : new OnceSecret(CreatedKey, CreatedOrg);
            ConsoleOnce.Carry(Response, Request, Message, secret);
            // The page as it was shown (its filters), without the handler and the one-step states
            // (a confirmation asked, a creation announced) that the action has just ended.
            var query = string.Join('&', Request.Query.Where(q => q.Key.ToLowerInvariant() is not ("handler" or "confirm" or "created" or "delete"))
                .SelectMany(q => q.Value.Select(v => Uri.EscapeDataString(q.Key) + "=" + Uri.EscapeDataString(v ?? ""))));
            return Redirect(Request.PathBase.ToUriComponent() + Request.Path.ToUriComponent() + (query.Length > 0 ? "?" + query : ""));
        }

        await load();
        return Page();
    }

    protected Task<AdminReply> GetAsync(string pattern, object? route = null, IEnumerable<KeyValuePair<string, string?>>? query = null)
        => Api.GetAsync(HttpContext, Session.Caller, pattern, route, query);

    protected Task<AdminReply> SendAsync(string method, string pattern, object? route = null, object? body = null, IEnumerable<KeyValuePair<string, string?>>? query = null)
        => Api.SendAsync(HttpContext, Session.Caller, method, pattern, route, query, body);

    /// <summary>
    /// Reads what a page shows; a refusal becomes the banner (unless an action's own refusal is
    /// already there) and null.
    /// </summary>
    protected async Task<T?> ReadAsync<T>(string pattern, object? route = null, IEnumerable<KeyValuePair<string, string?>>? query = null) where T : class
    {
        var reply = await GetAsync(pattern, route, query);
        if (reply.Ok)
        {
            return reply.As<T>();
        }

        if (!MessageIsError)
        {
            Refused(reply);
        }

        return null;
    }

    protected async Task<List<T>> ListAsync<T>(string pattern, object? route = null, IEnumerable<KeyValuePair<string, string?>>? query = null)
        => await ReadAsync<List<T>>(pattern, route, query) ?? [];

    /// <summary>The teams the caller administers (what a create form may offer), per the admin API's team listing.</summary>
    protected async Task<List<string>> ManagedTeamsAsync()
    {
        var teams = await GetAsync("/orgs/{org}/teams", new { org = Org });
        return teams.Ok ? teams.As<List<TeamDetailView>>().Where(t => t.CanManage).Select(t => t.Name).ToList() : [];
    }

    /// <summary>The key just created, shown once by the page that created it.</summary>
    public CreatedKeyView? CreatedKey { get; private set; }

    /// <summary>Creates a key for a user or a service account (<c>name@scope</c>).</summary>
    protected async Task CreateKeyAsync(string owner, string? name, string? format, string? expiresAt, string? access = null, string? projects = null, string? networks = null)
    {
        var body = new
        {
            name, format, expiresAt = KeyForms.Expiry(expiresAt), access = string.IsNullOrEmpty(access) ? null : access,
            projects = KeyForms.List(projects, null), allowedNetworks = KeyForms.List(networks, null),
        };
        var reply = owner.Contains('@', StringComparison.Ordinal)
            ? await SendAsync(HttpMethods.Post, "/service-accounts/{sa}/keys", new { sa = owner }, body)
            : await SendAsync(HttpMethods.Post, "/users/{username}/keys", new { username = owner }, body);
        if (Report(reply, "Key created."))
        {
            CreatedKey = reply.As<CreatedKeyView>();
        }
    }

    /// <summary>Rotates a key: the new one is shown once, the old one works for <paramref name="overlap"/> seconds more.</summary>
    protected async Task RotateKeyAsync(string keyId, string? overlap)
    {
        var seconds = long.TryParse(overlap, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var s) ? s : 86_400;
        var reply = await SendAsync(HttpMethods.Post, "/keys/{keyId}/rotate", new { keyId }, new { overlapSeconds = seconds });
        if (reply.Ok)
        {
            var rotated = reply.As<RotatedKeyView>();
            Report(reply, seconds == 0
                ? $"Key {keyId} replaced by {rotated.KeyId}; the old key no longer works."
                : $"Key {keyId} replaced by {rotated.KeyId}; the old key works until {rotated.PreviousExpiresAt:yyyy-MM-dd HH:mm} UTC.");
            CreatedKey = new CreatedKeyView(rotated.KeyId, rotated.Key, rotated.Name, rotated.Owner, rotated.Format, rotated.CreatedAt, rotated.ExpiresAt,
                rotated.Access, rotated.Projects, rotated.AllowedNetworks);
            return;
        }

        Refused(reply);
    }

    /// <summary>Replaces a key's restrictions with the form's: empty lists lift them.</summary>
    protected async Task RestrictKeyAsync(string keyId, string? access, string? projects, string? networks)
        => Report(await SendAsync(HttpMethods.Patch, "/keys/{keyId}", new { keyId },
                new { access = string.IsNullOrEmpty(access) ? "write" : access, projects = KeyForms.List(projects, []), allowedNetworks = KeyForms.List(networks, []) }),
            $"Key {keyId}'s restrictions saved.");

    protected async Task DeleteKeyAsync(string keyId)
        => Report(await SendAsync(HttpMethods.Delete, "/keys/{keyId}", new { keyId }), $"Key {keyId} deleted.");

    /// <summary>Shows what the admin API answered: the success text, or the problem as a readable message.</summary>
    protected bool Report(AdminReply reply, string success)
    {
        if (reply.Ok)
        {
            Message = success;
            MessageIsError = false;
            return true;
        }

        Refused(reply);
        return false;
    }

    protected void Refused(AdminReply reply)
    {
        Message = ConsoleMessages.For(reply);
        MessageIsError = true;
        FieldErrors = reply.FieldErrors;
        Response.StatusCode = reply.Status is >= 400 and < 600 ? reply.Status : 400;
    }

    /// <summary>The messages of one form field, for the field's own error line.</summary>
    public string? ErrorFor(string field) => FieldErrors.TryGetValue(field, out var messages) ? string.Join(" ", messages) : null;

    /// <summary>The errors of a list field and of its entries (<c>projects</c>, <c>projects[2]</c>).</summary>
    public string? ErrorsForList(string field)
    {
        var messages = FieldErrors.Where(e => e.Key == field || e.Key.StartsWith(field + "[", StringComparison.Ordinal)).SelectMany(e => e.Value).ToList();
        return messages.Count == 0 ? null : string.Join(" ", messages);
    }

    private AdminDispatch Api => HttpContext.RequestServices.GetRequiredService<AdminDispatch>();
}
