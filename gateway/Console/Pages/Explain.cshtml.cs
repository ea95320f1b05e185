using Gateway.Admin;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.OperatorConsole.Pages;

/// <summary>
/// "Why was this refused?": a refusal's request id (also linkable: <c>/explain?requestId=...</c>) or a
/// request to try (a key id or a principal, method, path, body), explained by <c>POST /admin/v1/explain</c>
/// (the proxy's own decision, nothing forwarded), step by step.
/// </summary>
internal sealed class ExplainModel : ConsolePageModel
{
    [FromQuery(Name = "requestId")]
    public string? RequestId { get; set; }

    public ExplainView? Result { get; private set; }

    public string? Who { get; private set; }

    public string Method { get; private set; } = "POST";

    public string? Path { get; private set; }

    public string? Body { get; private set; }

    public async Task OnGetAsync()
    {
        if (!string.IsNullOrWhiteSpace(RequestId))
        {
            await ExplainAsync(new { requestId = RequestId.Trim() });
        }
    }

    /// <summary><c>principal</c> or <c>key</c>: what <see cref="Who"/> names.</summary>
    public string As { get; private set; } = "principal";

    public async Task<IActionResult> OnPostAsync([FromForm] string? who, [FromForm(Name = "as")] string? kind, [FromForm] string? method, [FromForm] string? path, [FromForm] string? body)
    {
        (Who, As, Method, Path, Body) = (who?.Trim(), kind == "key" ? "key" : "principal", string.IsNullOrWhiteSpace(method) ? "POST" : method.Trim().ToUpperInvariant(), path?.Trim(), body);
        await ExplainAsync(new
        {
            key = As == "key" ? Who : null, principal = As == "principal" ? Who : null, method = Method, path = Path,
            body = string.IsNullOrEmpty(Body) ? null : Body,
        });
        return Page();
    }

    private async Task ExplainAsync(object request)
    {
        var reply = await SendAsync(HttpMethods.Post, "/explain", body: request);
        if (reply.Ok)
        {
            Result = reply.As<ExplainView>();
            return;
        }

        Refused(reply);
    }
}
