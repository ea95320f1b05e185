using System.Collections.Frozen;
using System.Text.Json;
using Gateway.BodyScope;
using Gateway.GraphQL;
using Gateway.Policy.Directory;
using Gateway.Policy.Model;
using GraphQLParser.AST;
using GraphQLParser.Exceptions;
using GraphQLParser;

namespace Gateway.GraphQL.Scope;

/// <summary>
/// Finds every (entity, project) a GraphQL request touches. The envelope is one operation or a batch;
/// each document is parsed with a real GraphQL parser and walked completely — every field and alias,
/// fragment spread and inline fragment — collecting the configured argument and input-field names,
/// written literally, through variables (with their defaults) or inside nested input objects. An
/// entity pairs with the projects named beside it or inside the input objects below it; a project
/// with no entity anywhere above it belongs to the default entity.
/// </summary>
internal static partial class GraphQlScopeExtractor
{
    // Argument lists and input objects, copied for two passes over them: rented, not allocated per field.
    private static readonly System.Buffers.ArrayPool<(ROM Name, Value Value)> Pool = System.Buffers.ArrayPool<(ROM Name, Value Value)>.Shared;
    // Duplicate properties are refused by JsonDuplicates after the parse: the same check, without a hash set per object.
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    /// <summary>Every reference of the request, without rules (the argument walk alone).</summary>
    public static List<ScopeReference> Extract(ReadOnlyMemory<byte> body, BodyLimits limits) => Analyze(body, limits, null, null).References;

    /// <summary>
    /// Walks the request under the route's rule table: each root field's rule decides what is
    /// collected (references, ids, edits for defaulted entities, viewer and listing selections) or
    /// refuses the request. <paramref name="defaultEntity"/> is the entity a null or missing entity
    /// argument is made explicit as.
    /// </summary>
    public static GraphQlAnalysis Analyze(ReadOnlyMemory<byte> body, BodyLimits limits, GraphQlRuleTable? rules, string? defaultEntity)
        => Analyze(body, limits, rules, defaultEntity, compiled: true);

    /// <summary>
    /// As <see cref="Analyze(ReadOnlyMemory{byte}, BodyLimits, GraphQlRuleTable?, string?)"/>; with
    /// <paramref name="compiled"/> false every document is walked whole, never evaluated from its compiled
    /// plan: the reference the plan is tested against (fuzz target <c>graphqlplan</c>, <c>ArgumentPlanTests</c>).
    /// </summary>
    internal static GraphQlAnalysis Analyze(ReadOnlyMemory<byte> body, BodyLimits limits, GraphQlRuleTable? rules, string? defaultEntity, bool compiled)
    {
        Utf8Body.Check(body.Span);
        using var json = ParseJson(body);
        var analysis = new GraphQlAnalysis();
        var root = json.RootElement;
        if (root.ValueKind == JsonValueKind.Array)
        {
            if (root.GetArrayLength() is 0 || root.GetArrayLength() > limits.MaxOperations)
            {
                throw new BodyScopeException(400, BodyScopeCodes.TooManyOperations, $"A batch holds 1 to {limits.MaxOperations} operations.");
            }

            analysis.IsBatch = true;
            var index = 0;
            foreach (var envelope in root.EnumerateArray())
            {
                ExtractEnvelope(envelope, index++, limits, analysis, rules, defaultEntity, compiled);
            }
        }
        else
        {
            ExtractEnvelope(root, 0, limits, analysis, rules, defaultEntity, compiled);
        }

        return analysis;
    }

    internal static JsonDocument ParseJson(ReadOnlyMemory<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, DocumentOptions);
        }
        catch (JsonException)
        {
            throw new BodyScopeException(400, BodyScopeCodes.InvalidJson, "The body is not valid JSON.");
        }

        if (JsonDuplicates.Any(document.RootElement))
        {
            document.Dispose();
            throw new BodyScopeException(400, BodyScopeCodes.DuplicateProperty, "The body has a duplicate JSON property.");
        }

        return document;
    }

    internal static readonly string[] EnvelopeKeys = ["query", "variables", "operationName", "extensions"];

    /// <summary>
    /// The envelope holds known keys only, each once and in exact case. Go servers match keys
    /// case-insensitively with the last one winning (<c>{"query":..., "Query":...}</c> runs the second),
    /// and a key the gateway does not know could mean anything to some server, so both are refused.
    /// Automatic persisted queries are refused too: a server that trusts a cached hash would run a
    /// document other than the one the gateway read.
    /// </summary>
    /// <remarks>The same pass takes the query, variables and operation name (undefined when absent; the body has no duplicate keys).</remarks>
    private static void ReadEnvelope(JsonElement envelope, out JsonElement query, out JsonElement variables, out JsonElement operationName)
    {
        query = variables = operationName = default;
        foreach (var property in envelope.EnumerateObject())
        {
            // Compared in place: the key's name becomes a string only on the way to a refusal.
            if (property.NameEquals("query"u8))
            {
                query = property.Value;
            }
            else if (property.NameEquals("variables"u8))
            {
                variables = property.Value;
            }
            else if (property.NameEquals("operationName"u8))
            {
                operationName = property.Value;
            }
            else if (property.NameEquals("extensions"u8))
            {
                if (property.Value.ValueKind == JsonValueKind.Object && property.Value.EnumerateObject().Any(p => p.NameEquals("persistedQuery") || PropertyFolding.IsVariantOf(p.Name, "persistedQuery")))
                {
                    throw new BodyScopeException(400, BodyScopeCodes.InvalidGraphQl, "Persisted queries are not accepted: send the document in \"query\".");
                }
            }
            else
            {
                throw UnknownKey(property.Name);
            }
        }
    }

    // Apart from the loop above: a lambda capturing the name there would allocate its closure for every key.
    private static BodyScopeException UnknownKey(string name) => EnvelopeKeys.Any(k => PropertyFolding.IsVariantOf(name, k))
        ? new BodyScopeException(400, BodyScopeCodes.AmbiguousProperty, "An envelope key differs from query, variables, operationName or extensions only in case: some servers would read it as that key.")
        : new BodyScopeException(400, BodyScopeCodes.UnknownEnvelopeKey, "The GraphQL request has keys other than query, variables, operationName and extensions.");

    private static void ExtractEnvelope(JsonElement envelope, int index, BodyLimits limits, GraphQlAnalysis analysis, GraphQlRuleTable? rules, string? defaultEntity, bool usePlan)
    {
        JsonElement queryElement = default, vars = default, nameElement = default;
        if (envelope.ValueKind == JsonValueKind.Object)
        {
            ReadEnvelope(envelope, out queryElement, out vars, out nameElement);
        }

        if (queryElement.ValueKind != JsonValueKind.String)
        {
            throw new BodyScopeException(400, BodyScopeCodes.InvalidGraphQl, "Each operation needs a \"query\" string.");
        }

        JsonElement? variables = null;
        if (vars.ValueKind != JsonValueKind.Undefined)
        {
            if (vars.ValueKind == JsonValueKind.Object)
            {
                variables = vars;
            }
            else if (vars.ValueKind != JsonValueKind.Null)
            {
                throw new BodyScopeException(400, BodyScopeCodes.InvalidGraphQl, "\"variables\" must be an object.");
            }
        }

        string? operationName = null;
        if (nameElement.ValueKind != JsonValueKind.Undefined)
        {
            if (nameElement.ValueKind == JsonValueKind.String)
            {
                operationName = nameElement.GetString();
            }
            else if (nameElement.ValueKind != JsonValueKind.Null)
            {
                throw new BodyScopeException(400, BodyScopeCodes.InvalidGraphQl, "\"operationName\" must be a string.");
            }
        }

        GraphQLDocument document;
        Plan.DocumentPlan plan;
        try
        {
            // The parser counts every AST level (argument, value, object field...): give it room as a
            // recursion guard; the walker enforces the documented, logical depth. Locations are kept
            // under rules: a defaulted entity is made explicit by editing the document's text.
            document = GraphQL.GraphQlDocumentCache.Parse(queryElement, new ParserOptions
            {
                Ignore = rules is null ? IgnoreOptions.All : IgnoreOptions.Comments,
                MaxDepth = limits.MaxDepth * 4 + 16,
            }, rules, out plan);
            plan.CheckVariables(variables);
        }
        catch (GraphQLMaxDepthExceededException)
        {
            throw new BodyScopeException(400, BodyScopeCodes.TooDeep, $"The document nests deeper than {limits.MaxDepth}.");
        }
        catch (Exception ex) when (ex is GraphQLParserException or IndexOutOfRangeException or ArgumentException or InvalidOperationException)
        {
            // Found by fuzzing (fuzz/crashes/graphql): GraphQL-Parser 9.5.1 throws IndexOutOfRange on
            // some carriage returns inside a document. A document it cannot parse is refused, never forwarded.
            throw new BodyScopeException(400, BodyScopeCodes.InvalidGraphQl, "The query is not a valid GraphQL document.");
        }

        var compiled = rules is null || !usePlan ? null : plan.Arguments(limits, document, rules);
        if (compiled is { Compilable: true })
        {
            analysis.SingleOperation.Add(compiled.SingleOperation(operationName));
        }
        else
        {
            int operations = 0, named = 0, anonymous = 0;
            foreach (var definition in document.Definitions)
            {
                if (definition is GraphQLOperationDefinition operation)
                {
                    operations++;
                    anonymous += operation.Name is null ? 1 : 0;
                    named += operationName is not null && operation.Name?.StringValue == operationName ? 1 : 0;
                }
            }

            analysis.SingleOperation.Add(operations == 1 || (named == 1 && anonymous == 0));
        }

        var walker = new Walker(limits, variables, analysis, document, rules, defaultEntity, index);
        try
        {
            if (compiled is { Compilable: true })
            {
                walker.Evaluate(compiled);
            }
            else
            {
                walker.WalkDocument();
            }
        }
        finally
        {
            walker.Release();
        }
    }
}
