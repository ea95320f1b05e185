using Gateway.Admin;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.OperatorConsole.Pages;

/// <summary>The organization at a glance; for gateway operators, every organization and a form for a new one.</summary>
internal sealed class IndexModel : ConsolePageModel
{
    public List<OrgView> Orgs { get; private set; } = [];

    public bool IsOperator => OperatorEndpoints.IsOperator(Session.Principal);

    public async Task OnGetAsync() => Orgs = await ListAsync<OrgView>("/orgs");

    public async Task<IActionResult> OnPostCreateOrgAsync([FromForm] string? name, [FromForm] string? adminUsername, [FromForm] string? adminEmail)
    {
        var reply = await SendAsync(HttpMethods.Post, "/orgs", body: new { name, admin = new { username = adminUsername, email = adminEmail } });
        if (Report(reply, $"Organization '{name}' created with its first admin '{adminUsername}'."))
        {
            CreatedOrg = reply.As<CreatedOrgView>();
        }

        return await AfterPostAsync(async () => Orgs = await ListAsync<OrgView>("/orgs"));
    }
}
