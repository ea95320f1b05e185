using System.Globalization;
using Gateway.Admin;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Gateway.OperatorConsole.Pages;

/// <summary>
/// The organization's audit log (org admins), newest first, filtered by action, actor and time, in pages
/// of at most <see cref="PageSize"/>. A page leaves its oldest millisecond to the next page (which ends
/// there, inclusive), so no event is skipped or shown twice; only more than a page of events in one
/// millisecond is cut.
/// </summary>
internal sealed class AuditModel : ConsolePageModel
{
    public const int PageSize = 50;

    [FromQuery(Name = "action")]
    public string? Action { get; set; }

    [FromQuery(Name = "actor")]
    public string? Actor { get; set; }

    [FromQuery(Name = "since")]
    public string? Since { get; set; }

    [FromQuery(Name = "until")]
    public string? Until { get; set; }

    public List<AuditView> Events { get; private set; } = [];

    public string? Older { get; private set; }

    public string Newest => Link(null);

    public async Task OnGetAsync()
    {
        var events = await ListAsync<AuditView>("/audit", query:
        [
            new("action", Blank(Action)), new("actor", Blank(Actor)), new("since", Utc(Since)), new("until", Utc(Until)),
            new("limit", (PageSize + 1).ToString(CultureInfo.InvariantCulture)),
        ]);
        if (events.Count > PageSize)
        {
            // Drop the page's oldest millisecond when the page might not hold all of it; it opens the next page.
            var cut = events[PageSize - 1].At;
            var kept = events.Take(PageSize).Where(e => e.At > cut).ToList();
            Events = kept.Count > 0 ? kept : events.Take(PageSize).ToList();
            var next = (kept.Count > 0 ? cut : events[PageSize - 1].At.AddMilliseconds(-1)).ToUniversalTime();
            Older = Link(next.ToString("yyyy-MM-ddTHH:mm:ss.fff", CultureInfo.InvariantCulture));
        }
        else
        {
            Events = events;
        }
    }

    private string Link(string? until)
    {
        var query = QueryString.Create(new KeyValuePair<string, string?>[] { new("action", Blank(Action)), new("actor", Blank(Actor)), new("since", Blank(Since)), new("until", until) }
            .Where(p => p.Value is not null));
        return "/audit" + query;
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    // datetime-local carries no zone: the page says UTC, so the API is told so.
    private static string? Utc(string? value) => Blank(value) is { } v && !v.EndsWith('Z') && !v.Contains('+', StringComparison.Ordinal) ? v + "Z" : Blank(value);
}
