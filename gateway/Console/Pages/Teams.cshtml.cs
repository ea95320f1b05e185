using Gateway.Admin;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.OperatorConsole.Pages;

/// <summary>Teams the caller can see, their members and roles; team admins change membership, org admins create and delete teams.</summary>
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

    /// <summary>Deletes a team after its name is typed; with <paramref name="cascade"/>, with what it holds (the API refuses otherwise, saying what).</summary>
    public async Task<IActionResult> OnPostDeleteTeamAsync([FromForm] string team, [FromForm] string? confirmName, [FromForm] string? cascade)
    {
        if (!string.Equals(confirmName?.Trim(), team, StringComparison.Ordinal))
        {
            Message = $"Type the team's name, {team}, to delete it.";
            MessageIsError = true;
            Response.StatusCode = 400;
            await LoadAsync();
            return Page();
        }

        Report(await SendAsync(HttpMethods.Delete, "/teams/{team}", new { team }, query: [new("cascade", cascade == "true" ? "true" : null)]), $"Team '{team}' deleted.");
        return await AfterPostAsync(LoadAsync);
    }

    private async Task LoadAsync() => Teams = await ListAsync<TeamDetailView>("/orgs/{org}/teams", new { org = Org });
}
