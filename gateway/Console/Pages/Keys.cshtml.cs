using Gateway.Admin;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.OperatorConsole.Pages;

/// <summary>The keys the caller may manage (never a secret), a key for any of their owners (shown once), and deletion after a confirmation step.</summary>
internal sealed class KeysModel : ConsolePageModel
{
    [FromQuery(Name = "owner")]
    public string? Owner { get; set; }

    [FromQuery(Name = "q")]
    public string? Search { get; set; }

    [FromQuery(Name = "confirm")]
    public string? Confirm { get; set; }

    public List<KeyView> Keys { get; private set; } = [];

    /// <summary>A key whose requests per hour are shown above the table.</summary>
    [FromQuery(Name = "usage")]
    public string? UsageKey { get; set; }

    public UsageView? Usage { get; private set; }

    public async Task OnGetAsync() => await LoadAsync();

    public async Task<IActionResult> OnPostCreateAsync([FromForm] string keyOwner, [FromForm] string? keyName, [FromForm] string? format, [FromForm] string? expiresAt,
        [FromForm] string? access, [FromForm] string? projects, [FromForm] string? allowedNetworks)
    {
        await CreateKeyAsync(keyOwner?.Trim() ?? "", keyName, format, expiresAt, access, projects, allowedNetworks);
        return await AfterPostAsync(LoadAsync);
    }

    public async Task<IActionResult> OnPostRestrictKeyAsync([FromForm] string keyId, [FromForm] string? access, [FromForm] string? projects, [FromForm] string? allowedNetworks)
    {
        await RestrictKeyAsync(keyId, access, projects, allowedNetworks);
        return await AfterPostAsync(LoadAsync);
    }

    public async Task<IActionResult> OnPostRotateKeyAsync([FromForm] string keyId, [FromForm] string? overlap)
    {
        await RotateKeyAsync(keyId, overlap);
        return await AfterPostAsync(LoadAsync);
    }

    public async Task<IActionResult> OnPostDeleteKeyAsync([FromForm] string keyId)
    {
        await DeleteKeyAsync(keyId);
        Confirm = null;
        return await AfterPostAsync(LoadAsync);
    }

    private async Task LoadAsync()
    {
        Keys = await ListAsync<KeyView>("/keys", query: [new("owner", Owner), new("q", Search)]);
        Usage = string.IsNullOrEmpty(UsageKey) ? null : await ReadAsync<UsageView>("/usage", query: [new("keyId", UsageKey)]);
    }
}
