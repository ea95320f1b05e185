using System.Text;
using System.Text.Json;
using Gateway.Admin;
using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gateway.DirectoryAsCode;

/// <summary>What <c>POST /directory/apply</c> answers: the plan, and whether it was written.</summary>
internal sealed record DirectoryApplyView(bool DryRun, bool Applied, string? ChangeSet, IReadOnlyList<string> Changes, IReadOnlyList<DirectoryRefusal> Refusals)
{
    /// <summary>The plan's fingerprint: apply with <c>?plan=</c> refuses unless it would make exactly the changes reviewed.</summary>
    public string Plan { get; init; } = PlanFingerprint.Of(Changes);
}

/// <summary>A plan's changes, hashed: what a reviewer saw in a dry run, compared with what apply would do now.</summary>
internal static class PlanFingerprint
{
    public static string Of(IReadOnlyList<string> changes)
        => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", changes))))[..16];
}

/// <summary>
/// Directory as code on the admin API: <c>GET /directory</c> exports the caller's view of an
/// organization as YAML or JSON, <c>GET /directory/schema</c> is the document's JSON Schema, and
/// <c>POST /directory/apply</c> (<c>?dryRun=true</c> to only plan) takes a document, checks it against
/// the schema (every error at once), plans it under the caller's own rights and, when no change is
/// refused, writes all of it in one store transaction with one audit change set; otherwise nothing.
/// </summary>
internal static class DirectoryEndpoints
{
    /// <summary>Documents are larger than other admin bodies: an organization of thousands of users.</summary>
    public const int MaxDocumentBytes = 4 * 1024 * 1024;

    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapGet("/directory", Export);
        admin.MapGet("/directory/schema", () => Results.Text(DirectorySchema.Text, "application/schema+json", Encoding.UTF8));
        admin.MapPost("/directory/apply", ApplyAsync);
    }

    private static IResult Export(HttpContext http, DirectoryService directory, string? org, string? format, string? includeKeys)
    {
        var caller = AdminCaller.From(http);
        var yaml = format switch
        {
            null or "yaml" => true,
            "json" => false,
            _ => throw new AdminProblemException(400, ProblemCodes.InvalidQuery, "'format' is yaml or json."),
        };
        var keys = Flag("includeKeys", includeKeys);
        var d = directory.Current;
        var name = org ?? caller.Principal.Org;
        AdminAccess.RequireOwnOrg(d, caller.Principal, name);
        var document = DirectoryExporter.Export(d, directory.Store, caller.Principal, name, keys);
        http.Response.Headers.CacheControl = "no-store";
        return Results.Text(DirectoryFormat.Write(document, yaml), yaml ? DirectoryFormat.YamlMediaType : DirectoryFormat.JsonMediaType, DirectoryFormat.Utf8);
    }

    private static async Task<IResult> ApplyAsync(HttpContext http, DirectoryService directory, ProbeGuard probes, TimeProvider time, string? dryRun, string? plan)
    {
        if (plan is not null && (plan.Length != 16 || !plan.All(char.IsAsciiHexDigitLower)))
        {
            throw new AdminProblemException(400, ProblemCodes.InvalidQuery, "'plan' is the 16-character fingerprint a dry run printed.");
        }

        var caller = AdminCaller.From(http);
        var planOnly = Flag("dryRun", dryRun);
        probes.ThrowIfLimited(http, caller);
        var (text, yaml) = await ReadAsync(http);
        // One document is checked and planned at a time per process: a 4 MiB document costs seconds of
        // schema evaluation, and a flood of them (a read-only key may dry-run) takes one core, not all.
        await OneAtATime.WaitAsync(http.RequestAborted);
        try
        {
            return ApplyRead(http, directory, probes, time, caller, planOnly, plan, text, yaml);
        }
        finally
        {
            OneAtATime.Release();
        }
    }

    private static readonly SemaphoreSlim OneAtATime = new(1, 1);

    private static IResult ApplyRead(HttpContext http, DirectoryService directory, ProbeGuard probes, TimeProvider time, AdminCaller caller, bool planOnly, string? plan, string text, bool yaml)
    {
        var tree = DirectoryFormat.Parse(text, yaml, out var syntax);
        if (syntax is not null)
        {
            throw new AdminProblemException(400, DirectoryProblemCodes.InvalidDocument, syntax);
        }

        var schemaErrors = DirectorySchema.Validate(tree);
        if (schemaErrors.Count > 0)
        {
            throw new AdminProblemException(400, DirectoryProblemCodes.InvalidDocument, "The document does not match the directory schema (docs/directory.schema.json).", schemaErrors);
        }

        DirectoryDocument document;
        try
        {
            document = DirectoryFormat.Read(tree!);
        }
        catch (JsonException ex)
        {
            // Valid by the schema, yet not representable (a time .NET does not parse, a number out of range).
            var at = string.IsNullOrEmpty(ex.Path) ? "the document" : $"'{ex.Path}'";
            throw new AdminProblemException(400, DirectoryProblemCodes.InvalidDocument, $"A value at {at} cannot be read: times are ISO 8601 with an offset, numbers within range.");
        }

        var changeSet = Guid.CreateVersion7().ToString("N");
        var now = time.UtcNowMillis();
        if (planOnly)
        {
            var planned = DirectoryPlanner.Plan(document, directory.Current, directory.Store, caller, now, changeSet);
            RecordProbes(http, caller, probes, planned);
            return AdminJson.Json(new DirectoryApplyView(true, false, null, planned.Changes, planned.Refusals));
        }

        DirectoryPlan? refused = null;
        try
        {
            var applied = directory.Write(d =>
            {
                var planned = DirectoryPlanner.Plan(document, d, directory.Store, caller, now, changeSet);
                if (planned.Refusals.Count > 0)
                {
                    refused = planned;
                    throw Refused(planned);
                }

                // The directory moved since the reviewed dry run (someone's change the document would undo, or more):
                // nothing is applied until the new plan is reviewed.
                if (plan is not null && PlanFingerprint.Of(planned.Changes) != plan)
                {
                    throw new AdminProblemException(409, DirectoryProblemCodes.PlanChanged,
                        $"The directory changed since the plan {plan} was made; apply would now make {planned.Changes.Count} changes ({string.Join("; ", planned.Changes.Take(10))}{(planned.Changes.Count > 10 ? "; ..." : "")}). Run the dry run again and review it.");
                }

                return (planned.ChangeSet, planned);
            });
            return AdminJson.Json(new DirectoryApplyView(false, applied.Changes.Count > 0, applied.Changes.Count > 0 ? changeSet : null, applied.Changes, []));
        }
        catch (AdminProblemException) when (refused is not null)
        {
            // Outside the write: recording a probe is a write of its own.
            RecordProbes(http, caller, probes, refused);
            throw;
        }
    }

    private static void RecordProbes(HttpContext http, AdminCaller caller, ProbeGuard probes, DirectoryPlan plan)
    {
        foreach (var probe in plan.Probes)
        {
            probes.RecordConflict(http, caller, probe.Action, caller.Principal.Org, probe.Code, probe.Value);
        }
    }

    // Nothing was written: every refused change listed, with the admin API's code and reason for each.
    private static AdminProblemException Refused(DirectoryPlan plan)
    {
        var status = plan.Refusals.Any(r => r.Status is 401 or 403 or 404) ? 403 : plan.Refusals.All(r => r.Status == 400) ? 400 : 409;
        var errors = plan.Refusals.GroupBy(r => r.Change, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Select(r => $"{r.Status} {r.Code}: {r.Detail}").ToArray(), StringComparer.Ordinal);
        return new AdminProblemException(status, DirectoryProblemCodes.ChangesRefused,
            $"{plan.Refusals.Count} of {plan.Changes.Count} changes refused; nothing was applied.", errors);
    }

    private static bool Flag(string name, string? value) => value switch
    {
        null or "false" => false,
        "true" => true,
        _ => throw new AdminProblemException(400, ProblemCodes.InvalidQuery, $"'{name}' is true or false."),
    };

    private static async Task<(string Text, bool Yaml)> ReadAsync(HttpContext http)
    {
        var request = http.Request;
        var yaml = MediaType.Is(request.ContentType, "application/yaml") || MediaType.Is(request.ContentType, "application/x-yaml") || MediaType.Is(request.ContentType, "text/yaml");
        if (!yaml && !MediaType.Is(request.ContentType, "application/json"))
        {
            throw new AdminProblemException(415, ProblemCodes.UnsupportedMediaType, "Send the document as application/json or application/yaml.");
        }

        if (request.ContentLength > MaxDocumentBytes)
        {
            throw new AdminProblemException(413, ProblemCodes.BodyTooLarge, $"Directory documents are limited to {MaxDocumentBytes} bytes.");
        }

        var buffer = new MemoryStream();
        var chunk = new byte[16384];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxDocumentBytes)
            {
                throw new AdminProblemException(413, ProblemCodes.BodyTooLarge, $"Directory documents are limited to {MaxDocumentBytes} bytes.");
            }

            buffer.Write(chunk, 0, read);
        }

        try
        {
            return (new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length), yaml);
        }
        catch (DecoderFallbackException)
        {
            throw new AdminProblemException(400, DirectoryProblemCodes.InvalidDocument, "The document is not UTF-8 text.");
        }
    }
}
