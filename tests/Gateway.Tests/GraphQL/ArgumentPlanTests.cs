using System.Collections.Frozen;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Gateway.BodyScope;
using Gateway.Fuzz;
using Gateway.GraphQL;
using Gateway.GraphQL.Scope;
using GraphQL.Types;
using GraphQLParser;
using GraphQLParser.AST;
using Xunit;

namespace Gateway.Tests.GraphQL;

/// <summary>
/// Compiled argument plans (gateway/GraphQL/Plan/ArgumentPlan*.cs) against the walk of the whole
/// document: every SDK operation of the reference with variables generated from its declared types
/// (strings that are and are not names, nulls, missing variables, input objects with and without
/// entity and project fields, objects where a scalar is declared), the same verdict from both. The
/// fuzz target <c>graphqlplan</c> does the same over mutated documents.
/// </summary>
public sealed class ArgumentPlanTests
{
    private static readonly GraphQlRuleTable Rules = GraphQlTypeReference.SharedRules;

    [Fact]
    public void EverySdkOperation_ThePlanAndTheWalkAgree_OverGeneratedVariables()
    {
        int allowed = 0, refused = 0;
        var random = new Random(20261206);
        foreach (var (name, text) in SdkOperationsTests.Split().OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var operation = Parser.Parse(text).Definitions.OfType<GraphQLOperationDefinition>().Single();
            for (var round = 0; round < 12; round++)
            {
                var variables = new JsonObject();
                foreach (var definition in operation.Variables?.Items ?? [])
                {
                    if (random.Next(6) != 0)
                    {
                        variables[definition.Variable.Name.StringValue] = Generate(definition.Type, random, 0);
                    }
                }

                var verdict = Compare(text, variables.ToJsonString(), $"{name}, round {round}");
                _ = verdict.StartsWith("allowed", StringComparison.Ordinal) ? allowed++ : refused++;
            }
        }

        // Both outcomes occur often: a generator that only ever produced refusals would compare nothing.
        Assert.True(allowed > 300, $"{allowed} allowed");
        Assert.True(refused > 300, $"{refused} refused");
    }

    [Fact]
    public void AScalarVariable_IsALeaf_AnInputVariable_IsRead()
    {
        // $config is a JSONString: the upstream coerces it as a scalar and never reads fields inside it.
        var leaf = Compare("""
            mutation M($e: String, $c: JSONString) { upsertBucket(input: {entityName: $e, modelName: "p", config: $c}) { bucket { id } } }
            """, """{"e":"ml","c":{"entityName":"cv","modelName":"q"}}""");
        Assert.Equal("allowed\nref ml/p Write", leaf.Split("\nlocal")[0]);

        // $input is an UpsertBucketInput: its fields are the mutation's and are read.
        var input = Compare("""
            mutation M($input: UpsertBucketInput!) { upsertBucket(input: $input) { bucket { id } } }
            """, """{"input":{"entityName":"cv","modelName":"q"}}""");
        Assert.Equal("allowed\nref cv/q Write", input.Split("\nlocal")[0]);
    }

    [Fact]
    public void ADocumentTheWalkRefusesOnItsShape_IsRefusedTheSame_UnderTightLimits()
    {
        var tight = new BodyLimits
        {
            MaxBytes = BodyLimits.DefaultGraphQlBytes, MaxDecompressedBytes = BodyLimits.DefaultGraphQlBytes, MaxDepth = 4, MaxFields = 6,
            EntityNames = BodyLimits.DefaultEntityNames.ToFrozenSet(StringComparer.Ordinal),
            ProjectNames = BodyLimits.DefaultProjectNames.ToFrozenSet(StringComparer.Ordinal), Rules = Rules,
        };
        var body = GraphQlPlanReference.Body("""
            query Q($e: String, $p: String) { project(entityName: $e, name: $p) { id name entity { id name } runs { edges { node { id name } } } } }
            """, """{"e":"ml","p":"p"}""");
        var verdict = GraphQlPlanReference.Compare(body, tight);
        Assert.StartsWith("refused 400 ", verdict, StringComparison.Ordinal);
        Assert.StartsWith("allowed", GraphQlPlanReference.Compare(body), StringComparison.Ordinal);
    }

    [Fact]
    public void ThePlan_IsCompiledOncePerDocumentAndRoute()
    {
        var limits = new BodyLimits
        {
            MaxBytes = BodyLimits.DefaultGraphQlBytes, MaxDecompressedBytes = BodyLimits.DefaultGraphQlBytes,
            EntityNames = BodyLimits.DefaultEntityNames.ToFrozenSet(StringComparer.Ordinal),
            ProjectNames = BodyLimits.DefaultProjectNames.ToFrozenSet(StringComparer.Ordinal), Rules = Rules,
        };
        using var json = JsonDocument.Parse(JsonSerializer.Serialize($"query Q{Guid.NewGuid():N} {{ project(entityName: \"ml\", name: \"p\") {{ id }} }}"));
        var options = new ParserOptions { Ignore = IgnoreOptions.Comments, MaxDepth = limits.MaxDepth * 4 + 16 };
        var document = GraphQlDocumentCache.Parse(json.RootElement, options, Rules, out var plan);
        var first = plan.Arguments(limits, document, Rules);
        Assert.NotNull(first);
        Assert.True(first.Compilable);
        Assert.Same(first, plan.Arguments(limits, document, Rules));
        Assert.Same(plan, Cached(json.RootElement, options));
    }

    private static Gateway.GraphQL.Plan.DocumentPlan Cached(JsonElement query, ParserOptions options)
    {
        GraphQlDocumentCache.Parse(query, options, Rules, out var plan);
        return plan;
    }

    private static string Compare(string document, string variables, string? what = null)
    {
        try
        {
            return GraphQlPlanReference.Compare(GraphQlPlanReference.Body(document, variables));
        }
        catch (InvalidOperationException ex) when (what is not null)
        {
            throw new InvalidOperationException($"{what}: {ex.Message}\nvariables: {variables}", ex);
        }
    }

    private static readonly string[] Strings = ["ml", "cv", "p-team", "open-p", "UnVuOjc3", "", "not a name!", "a/b"];

    // A value for a declared type: mostly right, sometimes null, sometimes the wrong shape on purpose.
    private static JsonNode? Generate(GraphQLType type, Random random, int depth)
    {
        switch (type)
        {
            case GraphQLNonNullType nonNull:
                return Generate(nonNull.Type, random, depth);
            case GraphQLListType list:
                var array = new JsonArray();
                for (var i = random.Next(3); i > 0; i--)
                {
                    array.Add(Generate(list.Type, random, depth + 1));
                }

                return random.Next(8) == 0 ? Generate(list.Type, random, depth + 1) : array;
        }

        var named = ((GraphQLNamedType)type).Name.StringValue;
        if (random.Next(8) == 0)
        {
            return null;
        }

        if (Rules.Schema.GraphSchema.AllTypes[named] is IInputObjectGraphType input && depth < 4)
        {
            var value = new JsonObject();
            foreach (var field in input.Fields)
            {
                if (random.Next(3) == 0 || field.Name is "entityName" or "projectName" or "modelName" or "id" or "name")
                {
                    value[field.Name] = random.Next(5) == 0 ? null : GenerateFor(field.ResolvedType!, random, depth + 1);
                }
            }

            return value;
        }

        return random.Next(10) switch
        {
            0 => new JsonObject { ["entityName"] = "cv", ["projectName"] = "cv-p" }, // an object where a scalar is declared
            1 => random.Next(100),
            2 => true,
            _ => Strings[random.Next(Strings.Length)],
        };
    }

    private static JsonNode? GenerateFor(IGraphType type, Random random, int depth) => type switch
    {
        NonNullGraphType nonNull => GenerateFor(nonNull.ResolvedType!, random, depth),
        ListGraphType list => new JsonArray(GenerateFor(list.ResolvedType!, random, depth + 1)),
        _ => Generate(new GraphQLNamedType(new GraphQLName(type.Name)), random, depth),
    };
}
