using Gateway.Admin;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.OperatorConsole.Pages;

/// <summary>The projects the caller may read, with a form for team admins to create one.</summary>
internal sealed class ProjectsModel : ConsolePageModel
{
    public List<ProjectListView> Projects { get; private set; } = [];

    public List<string> ManagedTeams { get; private set; } = [];

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostCreateAsync([FromForm] string team, [FromForm] string? name, [FromForm] string? visibility)
    {
        Report(await SendAsync(HttpMethods.Post, "/teams/{team}/projects", new { team }, new { name, visibility }), $"Project '{team}/{name}' created ({visibility}).");
        return await AfterPostAsync(LoadAsync);
    }

    private async Task LoadAsync()
    {
        Projects = await ListAsync<ProjectListView>("/projects");
        ManagedTeams = await ManagedTeamsAsync();
    }
}
