using Gateway.Admin;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.OperatorConsole.Pages;

/// <summary>Users of the organization (a member sees only themselves); org admins create, change, deactivate and reactivate; anyone sets their own default entity.</summary>
internal sealed class UsersModel : ConsolePageModel
{
    public List<UserView> Users { get; private set; } = [];

    public bool IsOrgAdmin => AdminAccess.IsOrgAdmin(Session.Principal, Org);

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostCreateAsync([FromForm] string? username, [FromForm] string? email, [FromForm] string? orgRole)
    {
        var body = new { username, email, orgRole };
        Report(await SendAsync(HttpMethods.Post, "/orgs/{org}/users", new { org = Org }, body), $"User '{username}' created. Create a key for them on the API keys page.");
        return await AfterPostAsync(LoadAsync);
    }

    /// <summary>Role, email (org admins) and default entity (the user or an org admin): blank fields stay as they are.</summary>
    public async Task<IActionResult> OnPostUpdateAsync([FromForm] string username, [FromForm] string? orgRole, [FromForm] string? email, [FromForm] string? defaultEntity, [FromForm] string? name)
    {
        static string? Given(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
        var body = new { orgRole = Given(orgRole), email = Given(email), defaultEntity = Given(defaultEntity), name = Given(name) };
        Report(await SendAsync(HttpMethods.Patch, "/users/{username}", new { username }, body), $"User '{username}' updated.");
        return await AfterPostAsync(LoadAsync);
    }

    public async Task<IActionResult> OnPostDeactivateAsync([FromForm] string username)
    {
        Report(await SendAsync(HttpMethods.Post, "/users/{username}/deactivate", new { username }), $"'{username}' is deactivated: their keys are refused until reactivated, and their console sessions have ended.");
        return await AfterPostAsync(LoadAsync);
    }

    public async Task<IActionResult> OnPostReactivateAsync([FromForm] string username)
    {
        Report(await SendAsync(HttpMethods.Post, "/users/{username}/reactivate", new { username }), $"'{username}' is active again.");
        return await AfterPostAsync(LoadAsync);
    }

    private async Task LoadAsync() => Users = await ListAsync<UserView>("/orgs/{org}/users", new { org = Org });
}
