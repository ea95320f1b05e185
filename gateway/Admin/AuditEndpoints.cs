using System.Globalization;
using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gateway.Admin;

/// <summary>The audit log of the caller's organization: org admins only.</summary>
internal static class AuditEndpoints
{
    public static void Map(RouteGroupBuilder admin) => admin.MapGet("/audit", Query);

    private static IResult Query(HttpContext http, DirectoryService directory, string? since, string? until, string? actor, string? action, int? limit)
    {
        var caller = AdminCaller.From(http).Principal;
        AdminAccess.RequireOrgAdmin(directory.Current, caller, caller.Org);
        var errors = new FieldErrors();
        var from = ParseTime("since", since, errors);
        var to = ParseTime("until", until, errors);
        if (limit is < 1 or > 1000)
        {
            errors.Add("limit", "'limit' must be between 1 and 1000.");
        }

        errors.ThrowIfAny();
        var events = directory.Store.QueryAudit(new AuditQuery(caller.Org, from, to, actor, action, limit ?? 100));
        return AdminJson.Json(events.Select(AuditView.Of).ToList());
    }

    private static DateTimeOffset? ParseTime(string field, string? value, FieldErrors errors)
    {
        if (value is null)
        {
            return null;
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return time;
        }

        errors.Add(field, $"'{field}' must be an ISO 8601 time, e.g. 2026-01-31T12:00:00Z.");
        return null;
    }
}
