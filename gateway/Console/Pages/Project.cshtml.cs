using Gateway.Admin;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.OperatorConsole.Pages;

/// <summary>One project's visibility and grants, for those who may manage it (anyone else gets the API's 404 or 403).</summary>
internal sealed class ProjectModel : ConsolePageModel
{
    [FromRoute(Name = "entity")]
    public string Entity { get; set; } = "";

    [FromRoute(Name = "project")]
    public string ProjectName { get; set; } = "";

    public ProjectView? Project { get; private set; }

    public List<GrantView> Grants { get; private set; } = [];

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostVisibilityAsync([FromForm] string? visibility)
    {
        Report(await SendAsync(HttpMethods.Patch, "/projects/{entity}/{project}", Route, new { visibility }), $"Visibility is now {visibility}.");
        return await AfterPostAsync(LoadAsync);
    }

    public async Task<IActionResult> OnPostGrantAsync([FromForm] string principal, [FromForm] string? role)
    {
        Report(await SendAsync(HttpMethods.Put, "/projects/{entity}/{project}/grants/{principal}", new { entity = Entity, project = ProjectName, principal }, new { role }),
            $"'{principal}' is now {role} of {Entity}/{ProjectName}.");
        return await AfterPostAsync(LoadAsync);
    }

    public async Task<IActionResult> OnPostRemoveGrantAsync([FromForm] string principal)
    {
        Report(await SendAsync(HttpMethods.Delete, "/projects/{entity}/{project}/grants/{principal}", new { entity = Entity, project = ProjectName, principal }),
            $"The grant of '{principal}' is removed.");
        return await AfterPostAsync(LoadAsync);
    }

    private object Route => new { entity = Entity, project = ProjectName };

    private async Task LoadAsync()
    {
        Project = await ReadAsync<ProjectView>("/projects/{entity}/{project}", Route);
        if (Project is null)
        {
            return;
        }

        Grants = await ListAsync<GrantView>("/projects/{entity}/{project}/grants", Route);
    }
}
