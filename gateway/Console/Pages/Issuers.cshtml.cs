using Gateway.Admin;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.OperatorConsole.Pages;

/// <summary>The organization's trusted issuers with their key status; org admins add and remove them.</summary>
internal sealed class IssuersModel : ConsolePageModel
{
    public List<IssuerView> Issuers { get; private set; } = [];

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostAddAsync([FromForm] string? issuer, [FromForm] string? audience, [FromForm] bool acceptRawJwt)
    {
        var body = new { issuer, audiences = string.IsNullOrWhiteSpace(audience) ? null : new[] { audience.Trim() }, acceptRawJwt = acceptRawJwt ? true : (bool?)null };
        Report(await SendAsync(HttpMethods.Post, "/orgs/{org}/issuers", new { org = Org }, body), $"'{issuer}' is trusted; its keys are being fetched.");
        return await AfterPostAsync(LoadAsync);
    }

    public async Task<IActionResult> OnPostRemoveAsync([FromForm] string issuer)
    {
        Report(await SendAsync(HttpMethods.Delete, "/orgs/{org}/issuers", new { org = Org }, query: [new("issuer", issuer)]), $"'{issuer}' is no longer trusted.");
        return await AfterPostAsync(LoadAsync);
    }

    private async Task LoadAsync() => Issuers = await ListAsync<IssuerView>("/orgs/{org}/issuers", new { org = Org });
}
