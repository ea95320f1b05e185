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

        return new SortedDictionary<string, string[]>(errors.ToDictionary(e => e.Key, e => e.Value.ToArray()), StringComparer.Ordinal);
    }

    // The library says "All values fail against the false schema" for a field no object of that kind
    // has, and quotes constants twice; say it the way a person editing the file needs it.
    private static string Readable(string message, EvaluationResults detail)
        => detail.EvaluationPath.ToString().EndsWith("/additionalProperties", StringComparison.Ordinal)
            ? $"'{detail.InstanceLocation.ToString().Split('/')[^1]}' is not a field here (misspelt, or not part of a directory document)."
            : message.Replace("\\u0022", "\"", StringComparison.Ordinal);
}
