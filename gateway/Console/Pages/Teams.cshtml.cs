using Gateway.Admin;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.OperatorConsole.Pages;

/// <summary>Teams the caller can see, their members and roles; team admins change membership, org admins create teams.</summary>
internal sealed class TeamsModel : ConsolePageModel
{
    public List<TeamDetailView> Teams { get; private set; } = [];

    public bool IsOrgAdmin => AdminAccess.IsOrgAdmin(Session.Principal, Org);

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostCreateAsync([FromForm] string? name)
    {
        Report(await SendAsync(HttpMethods.Post, "/orgs/{org}/teams", new { org = Org }, new { name }), $"Team '{name}' created.");
        return await AfterPostAsync(LoadAsync);
    }

    public async Task<IActionResult> OnPostSetMemberAsync([FromForm] string team, [FromForm] string username, [FromForm] string? role)
    {
        Report(await SendAsync(HttpMethods.Put, "/teams/{team}/members/{username}", new { team, username }, new { role }), $"'{username}' is now {role} of '{team}'.");
        return await AfterPostAsync(LoadAsync);
    }

    public async Task<IActionResult> OnPostRemoveMemberAsync([FromForm] string team, [FromForm] string username)
    {
        Report(await SendAsync(HttpMethods.Delete, "/teams/{team}/members/{username}", new { team, username }), $"'{username}' removed from '{team}'.");
        return await AfterPostAsync(LoadAsync);
    }

    private async Task LoadAsync() => Teams = await ListAsync<TeamDetailView>("/orgs/{org}/teams", new { org = Org });
}
