using Gateway.Admin;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.OperatorConsole.Pages;

/// <summary>
/// The seeds' Service Accounts tab: the accounts the caller manages with scope, default team, access
/// mode, status and last use (the latest use of any of its keys), and "New service account".
/// </summary>
internal sealed class ServiceAccountsModel : ConsolePageModel
{
    public List<ServiceAccountView> Accounts { get; private set; } = [];

    public Dictionary<string, DateTimeOffset> LastUsed { get; private set; } = [];

    public List<string> Teams { get; private set; } = [];

    public bool IsOrgAdmin => AdminAccess.IsOrgAdmin(Session.Principal, Org);

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostCreateAsync([FromForm] string? name, [FromForm] string? scope, [FromForm] string? team, [FromForm] string? authentication,
        [FromForm] string? issuer, [FromForm] string? subject, [FromForm] string? access, [FromForm] bool allCurrentProjects)
    {
        bool? all = allCurrentProjects ? true : null;
        var federated = authentication == "federated";
        var reply = scope == "org"
            ? await SendAsync(HttpMethods.Post, "/orgs/{org}/service-accounts", new { org = Org }, new { name, defaultTeam = team, access, grantAllCurrentProjects = all })
            : await SendAsync(HttpMethods.Post, "/teams/{team}/service-accounts", new { team }, new
            {
                name, authentication = federated ? "federated" : "builtin", issuer = federated ? issuer : null, subject = federated ? subject : null,
                access, grantAllCurrentProjects = all,
            });
        if (reply.Ok)
        {
            var created = reply.As<ServiceAccountView>();
            return Redirect("/service-accounts/" + Uri.EscapeDataString(created.DisplayName) + "?created=1");
        }

        Refused(reply);
        await LoadAsync();
        return Page();
    }

    private async Task LoadAsync()
    {
        Accounts = await ListAsync<ServiceAccountView>("/service-accounts");
        var keys = await GetAsync("/keys");
        LastUsed = keys.Ok
            ? keys.As<List<KeyView>>().Where(k => k.LastUsedAt is not null).GroupBy(k => k.Owner).ToDictionary(g => g.Key, g => g.Max(k => k.LastUsedAt!.Value))
            : [];
        Teams = await ManagedTeamsAsync();
    }
}
