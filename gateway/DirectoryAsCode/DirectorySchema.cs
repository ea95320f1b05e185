using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Gateway.DirectoryAsCode;

/// <summary>
/// docs/directory.schema.json, shipped inside the gateway: every document is checked against it before
/// anything else looks at it, and every violation is reported at once, by its JSON Pointer.
/// </summary>
internal static class DirectorySchema
{
    public const string ResourceName = "Gateway.DirectoryAsCode.directory.schema.json";

    private static readonly Lazy<JsonSchema> Schema = new(() =>
    {
        using var stream = typeof(DirectorySchema).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"The embedded resource {ResourceName} is missing.");
        using var reader = new StreamReader(stream);
        return JsonSchema.FromText(reader.ReadToEnd());
    });

    public static string Text
    {
        get
        {
            using var stream = typeof(DirectorySchema).Assembly.GetManifestResourceStream(ResourceName)!;
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
    }

    /// <summary>Every violation, by the instance location it is at (<c>/users/2/email</c>); empty when valid.</summary>
    public static SortedDictionary<string, string[]> Validate(JsonNode? document)
    {
        using var parsed = JsonDocument.Parse(document?.ToJsonString() ?? "null");
        // A yes-or-no pass first (it stops at the first failure and keeps no details): a valid document, the
        // usual one, is checked once, cheaply; only an invalid one is evaluated again for every error.
        if (Schema.Value.Evaluate(parsed.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.Flag, RequireFormatValidation = true }).IsValid)
        {
            return new SortedDictionary<string, string[]>(StringComparer.Ordinal);
        }

        var results = Schema.Value.Evaluate(parsed.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
        var errors = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        if (!results.IsValid)
        {
            foreach (var detail in (results.Details ?? []).Prepend(results))
            {
                // A failed "if" only chooses "else": what it did not match is no error of the document.
                if (detail.Errors is not { Count: > 0 } found || detail.EvaluationPath.ToString().Contains("/if", StringComparison.Ordinal))
                {
                    continue;
                }

                var at = detail.InstanceLocation.ToString() is { Length: > 0 } pointer ? pointer : "/";
                if (!errors.TryGetValue(at, out var list))
                {
                    errors[at] = list = [];
                }

                foreach (var message in found.Values.Select(m => Readable(m, detail)).Where(m => !list.Contains(m)))
                {
                    list.Add(message);
                }
            }

            if (errors.Count == 0)
            {
                errors["/"] = ["The document does not match the directory schema."];
            }
        }

        // Every error at once, up to a page of them: a document wrong in every one of 100 000 entries is
        // answered with the first ones and a count, not with megabytes of the same message.
        var reported = new SortedDictionary<string, string[]>(errors.Take(MaxReportedLocations).ToDictionary(e => e.Key, e => e.Value.ToArray()), StringComparer.Ordinal);
        if (errors.Count > MaxReportedLocations)
        {
            reported["(more)"] = [$"{errors.Count - MaxReportedLocations} more places in the document have errors; fix these and check again."];
        }

        return reported;
    }

    /// <summary>How many places of a document its schema errors are reported for.</summary>
    public const int MaxReportedLocations = 200;

    // The library says "All values fail against the false schema" for a field no object of that kind
    // has, and quotes constants twice; say it the way a person editing the file needs it.
    private static string Readable(string message, EvaluationResults detail)
        => detail.EvaluationPath.ToString().EndsWith("/additionalProperties", StringComparison.Ordinal)
            ? $"'{detail.InstanceLocation.ToString().Split('/')[^1]}' is not a field here (misspelt, or not part of a directory document)."
            : message.Replace("\\u0022", "\"", StringComparison.Ordinal);
}
