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

    public CreatedKeyView? CreatedKey { get; private set; }

    public async Task OnGetAsync() => await LoadAsync();

    public async Task OnPostCreateAsync([FromForm] string keyOwner, [FromForm] string? keyName, [FromForm] string? format, [FromForm] string? expiresAt)
    {
        keyOwner = keyOwner?.Trim() ?? "";
        var body = new { name = keyName, format, expiresAt = KeyForms.Expiry(expiresAt) };
        var reply = keyOwner.Contains('@', StringComparison.Ordinal)
            ? await SendAsync(HttpMethods.Post, "/service-accounts/{sa}/keys", new { sa = keyOwner }, body)
            : await SendAsync(HttpMethods.Post, "/users/{username}/keys", new { username = keyOwner }, body);
        if (Report(reply, "Key created."))
        {
            CreatedKey = reply.As<CreatedKeyView>();
        }

        await LoadAsync();
    }

    public async Task OnPostDeleteKeyAsync([FromForm] string keyId)
    {
        Report(await SendAsync(HttpMethods.Delete, "/keys/{keyId}", new { keyId }), $"Key {keyId} deleted.");
        Confirm = null;
        await LoadAsync();
    }

    private async Task LoadAsync()
        => Keys = await ListAsync<KeyView>("/keys", query: [new("owner", Owner), new("q", Search)]);
}
