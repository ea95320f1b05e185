using Gateway.Admin;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.OperatorConsole.Pages;

/// <summary>One service account: deactivate, reactivate, delete (typed confirmation), and its keys (created keys shown once).</summary>
internal sealed class ServiceAccountModel : ConsolePageModel
{
    [FromRoute(Name = "name")]
    public string Name { get; set; } = "";

    [FromQuery(Name = "confirm")]
    public string? Confirm { get; set; }

    [FromQuery(Name = "delete")]
    public string? DeleteRequested { get; set; }

    [FromQuery(Name = "created")]
    public string? JustCreated { get; set; }

    public ServiceAccountView? Account { get; private set; }

    /// <summary>One key's requests per hour instead of the account's.</summary>
    [FromQuery(Name = "usage")]
    public string? UsageKey { get; set; }

    public UsageView? Usage { get; private set; }

    public List<KeyView> Keys { get; private set; } = [];

    /// <summary>A federated account's claim rules.</summary>
    public List<FederationRuleView> Rules { get; private set; } = [];

    /// <summary>The add-rule form as sent, shown again when refused.</summary>
    public (string? Name, string? Subject, string? Conditions) RuleForm { get; private set; }

    public bool ConfirmDeleteAccount => DeleteRequested == "1";

    public async Task OnGetAsync()
    {
        if (JustCreated == "1")
        {
            Message = $"Service account '{Name}' created.";
        }

        await LoadAsync();
    }

    public async Task<IActionResult> OnPostDeactivateAsync()
    {
        Report(await SendAsync(HttpMethods.Post, "/service-accounts/{sa}/deactivate", new { sa = Name }), $"'{Name}' is deactivated and its keys are revoked.");
        return await AfterPostAsync(LoadAsync);
    }

    public async Task<IActionResult> OnPostReactivateAsync()
    {
        Report(await SendAsync(HttpMethods.Post, "/service-accounts/{sa}/reactivate", new { sa = Name }), $"'{Name}' is active again; create a new key for it.");
        return await AfterPostAsync(LoadAsync);
    }

    public async Task<IActionResult> OnPostDeleteAsync([FromForm] string? confirmName)
    {
        if (!string.Equals(confirmName?.Trim(), Name, StringComparison.Ordinal))
        {
            Message = $"Type the service account's name, {Name}, to delete it.";
            MessageIsError = true;
            Response.StatusCode = 400;
            DeleteRequested = "1";
            await LoadAsync();
            return Page();
        }

        var reply = await SendAsync(HttpMethods.Delete, "/service-accounts/{sa}", new { sa = Name });
        if (reply.Ok)
        {
            return Redirect("/service-accounts");
        }

        Refused(reply);
        await LoadAsync();
        return Page();
    }

    public async Task<IActionResult> OnPostCreateKeyAsync([FromForm] string? keyName, [FromForm] string? expiresAt,
        [FromForm] string? access, [FromForm] string? projects, [FromForm] string? allowedNetworks)
    {
        await CreateKeyAsync(Name, keyName, null, expiresAt, access, projects, allowedNetworks);
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

    public async Task<IActionResult> OnPostAddRuleAsync([FromForm] string? ruleName, [FromForm] string? ruleSubject, [FromForm] string? ruleConditions)
    {
        // One "claim=pattern" per line; a line without '=' is sent as a claim with no pattern, for the API to refuse by name.
        // A claim on two lines is refused, as the CLI refuses it: keeping either line silently could make the rule wider than read.
        var conditions = new Dictionary<string, string>(StringComparer.Ordinal);
        var repeated = new Dictionary<string, string[]>(StringComparer.Ordinal);
        foreach (var line in (ruleConditions ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = line.IndexOf('=');
            var claim = eq < 0 ? line : line[..eq].Trim();
            if (!conditions.TryAdd(claim, eq < 0 ? "" : line[(eq + 1)..].Trim()))
            {
                repeated["conditions." + claim] = [$"'{claim}' is on two lines: one pattern per claim."];
            }
        }

        if (repeated.Count > 0)
        {
            (Message, MessageIsError, FieldErrors) = ($"Rule '{ruleName}' not added: a claim is named twice.", true, repeated);
            Response.StatusCode = 400;
            RuleForm = (ruleName, ruleSubject, ruleConditions);
            return await AfterPostAsync(LoadAsync);
        }

        var body = new { name = ruleName?.Trim(), subject = ruleSubject?.Trim(), conditions };
        if (!Report(await SendAsync(HttpMethods.Post, "/service-accounts/{sa}/federation-rules", new { sa = Name }, body), $"Rule '{ruleName}' added."))
        {
            RuleForm = (ruleName, ruleSubject, ruleConditions);
        }

        return await AfterPostAsync(LoadAsync);
    }

    public async Task<IActionResult> OnPostDeleteRuleAsync([FromForm] string rule)
    {
        Report(await SendAsync(HttpMethods.Delete, "/service-accounts/{sa}/federation-rules/{rule}", new { sa = Name, rule }),
            $"Rule '{rule}' deleted; access tokens exchanged through it stop working.");
        return await AfterPostAsync(LoadAsync);
    }

    private async Task LoadAsync()
    {
        Account = await ReadAsync<ServiceAccountView>("/service-accounts/{sa}", new { sa = Name });
        if (Account is null)
        {
            return;
        }

        Keys = Account.Authentication == "builtin" ? await ListAsync<KeyView>("/keys", query: [new("owner", Name)]) : [];
        Rules = Account.Authentication == "federated" ? await ListAsync<FederationRuleView>("/service-accounts/{sa}/federation-rules", new { sa = Name }) : [];
        Usage = await ReadAsync<UsageView>("/usage", query: string.IsNullOrEmpty(UsageKey) ? [new("principal", Name)] : [new("keyId", UsageKey)]);
    }
}
