using System.Collections.Frozen;
using System.Text;
using System.Text.Json;
using Gateway.BodyScope;
using Gateway.GraphQL;
using Gateway.GraphQL.Scope;

namespace Gateway.Fuzz;

/// <summary>
/// The <c>graphqlplan</c> target: one GraphQL request (the input's text: a document, then optionally a
/// line <c>#variables</c> and the variables' JSON, copied into the body as written) under the shipped
/// rules, analysed from the document's compiled plan and by the uncached walk of the whole document.
/// Both must give the same analysis (references, ids, edits, viewer and listing selections, learnings,
/// organizations, flags) or the same refusal; anything else is a crash. Run under two routes' limits:
/// the defaults, and tight ones (depth 6, 24 fields), so that documents the plan leaves to the walk are
/// compared too.
/// </summary>
internal static class GraphQlPlanReference
{
    private const string Separator = "\n#variables\n";
    private static BodyLimits? _defaults;
    private static BodyLimits? _tight;

    private static GraphQlRuleTable Rules => GraphQlTypeReference.SharedRules;

    private static BodyLimits Defaults => _defaults ??= Limits(32, 2000);

    private static BodyLimits Tight => _tight ??= Limits(6, 24);

    public static void Run(byte[] input)
    {
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(input);
        }
        catch (DecoderFallbackException)
        {
            return;
        }

        var at = text.IndexOf(Separator, StringComparison.Ordinal);
        var body = at < 0 ? Body(text, null) : Body(text[..at], text[(at + Separator.Length)..]);
        Compare(body, Defaults);
        Compare(body, Tight);
    }

    /// <summary>The request body for a document and its variables' JSON (written into the body as is).</summary>
    public static byte[] Body(string document, string? variables)
        => Encoding.UTF8.GetBytes(variables is null
            ? $"{{\"query\":{JsonSerializer.Serialize(document)}}}"
            : $"{{\"query\":{JsonSerializer.Serialize(document)},\"variables\":{variables}}}");

    /// <summary>Throws when the compiled plan and the walk disagree on <paramref name="body"/>; returns their common verdict.</summary>
    public static string Compare(byte[] body, BodyLimits? limits = null)
    {
        limits ??= Defaults;
        var compiled = Verdict(body, limits, compiled: true);
        var walked = Verdict(body, limits, compiled: false);
        if (compiled != walked)
        {
            throw new InvalidOperationException($"The compiled plan says\n{compiled}\nthe walk says\n{walked}");
        }

        return compiled;
    }

    private static string Verdict(byte[] body, BodyLimits limits, bool compiled)
    {
        try
        {
            return Describe(GraphQlScopeExtractor.Analyze(body, limits, Rules, "ml-team", compiled));
        }
        catch (BodyScopeException ex)
        {
            return $"refused {ex.Status} {ex.Code}: {ex.Message}";
        }
    }

    private static string Describe(GraphQlAnalysis analysis)
    {
        var text = new StringBuilder("allowed\n");
        foreach (var reference in analysis.References)
        {
            text.Append("ref ").Append(reference.Entity ?? "(default)").Append('/').Append(reference.Project ?? "*").Append(' ').Append(reference.Action).Append('\n');
        }

        foreach (var id in analysis.Ids)
        {
            text.Append("id ").Append(id.Type).Append(' ').Append(id.Id).Append(' ').Append(id.Action).Append('\n');
        }

        foreach (var edit in analysis.Edits)
        {
            text.Append("edit ").Append(edit.Envelope).Append(' ').Append(edit.Start).Append('-').Append(edit.End).Append(' ').Append(edit.Text)
                .Append(' ').Append(edit.Variable).Append(' ').Append(string.Join('.', edit.VariablePath ?? [])).Append('\n');
        }

        foreach (var viewer in analysis.Viewers)
        {
            text.Append("viewer ").Append(viewer.Envelope).Append(' ').Append(viewer.ResponseKey).Append(' ')
                .Append(string.Join(',', viewer.Fields.Select(f => f.Name.StringValue))).Append('\n');
        }

        foreach (var listing in analysis.Listings)
        {
            text.Append("listing ").Append(listing.Envelope).Append(' ').Append(listing.ResponseKey).Append(' ').Append(listing.Entity).Append('\n');
        }

        foreach (var learning in analysis.Learnings)
        {
            text.Append("learns ").Append(learning.Envelope).Append(' ').Append(learning.ResponseKey).Append(' ').Append(string.Join('.', learning.Path)).Append(' ').Append(learning.Type).Append('\n');
        }

        foreach (var organization in analysis.Organizations)
        {
            text.Append("organization ").Append(organization ?? "(null)").Append('\n');
        }

        return text.Append($"local {analysis.OnlyLocal} mutation {analysis.HasMutation} batch {analysis.IsBatch} single {string.Join(',', analysis.SingleOperation)}").ToString();
    }

    private static BodyLimits Limits(int depth, int fields) => new()
    {
        MaxBytes = BodyLimits.DefaultGraphQlBytes, MaxDecompressedBytes = BodyLimits.DefaultGraphQlBytes,
        MaxDepth = depth, MaxFields = fields,
        EntityNames = BodyLimits.DefaultEntityNames.ToFrozenSet(StringComparer.Ordinal),
        ProjectNames = BodyLimits.DefaultProjectNames.ToFrozenSet(StringComparer.Ordinal),
        Rules = Rules,
    };
}
