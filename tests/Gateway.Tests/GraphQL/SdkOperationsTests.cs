using Gateway.GraphQL.Scope;
using System.Collections.Frozen;
using System.Text;
using System.Text.Json;
using Gateway.BodyScope;
using Gateway.GraphQL;
using GraphQLParser;
using GraphQLParser.AST;
using GraphQLParser.Visitors;
using Xunit;

namespace Gateway.Tests.GraphQL;

/// <summary>
/// Every SDK operation of the reference (tools/graphql-schema/sdk-operations.graphql, one per row of
/// shared/reference/wandb-graphql-operations.md, with the SDKs' selections) against the shipped schema
/// and annotations: accepted by the type walk and the spec's validation, or refused with its documented
/// code. Scope (references, ids, rewrites) of the same operations is covered end to end by
/// WandbOperationsTests and the SDK client tests.
/// </summary>
public sealed class SdkOperationsTests
{
    // The operations the gateway refuses by design, with the code and why (README, GraphQL schema and annotations).
    private static readonly Dictionary<string, string> Refused = new(StringComparer.Ordinal)
    {
        ["deleteFiles"] = GraphQlCodes.FieldRefused,               // names files by storage id only
        ["CreateTeam"] = GraphQlCodes.FieldRefused,                // teams, members, users, keys: the gateway's admin API
        ["CreateInvite"] = GraphQlCodes.FieldRefused,
        ["DeleteInvite"] = GraphQlCodes.FieldRefused,
        ["CreateServiceAccount"] = GraphQlCodes.FieldRefused,
        ["SearchUsers"] = GraphQlCodes.FieldRefused,               // a global user search
        ["CreateUserFromAdmin"] = GraphQlCodes.FieldRefused,
        ["GenerateApiKey"] = GraphQlCodes.FieldRefused,
        ["DeleteApiKey"] = GraphQlCodes.FieldRefused,
        ["CreateAnonymousApiKey"] = GraphQlCodes.FieldRefused,
        ["GetTeamEntity"] = GraphQlCodes.FieldRefused,             // members { apiKey }
        ["ArtifactCreatedBy"] = GraphQlCodes.FieldRefused,         // a run of another project
        ["ArtifactUsedBy"] = GraphQlCodes.FieldRefused,            // runs of any project
        ["FetchLinkedArtifacts"] = GraphQlCodes.FieldRefused,      // collections of other projects
        ["RunInputArtifacts"] = GraphQlCodes.ScopeLeft,            // artifacts of other projects
        ["FetchRegistries"] = GraphQlCodes.FieldRefused,           // every registry of the organization
        ["CreateRegistryMembers"] = GraphQlCodes.FieldRefused,     // project access: gateway grants
        ["DeleteRegistryMembers"] = GraphQlCodes.FieldRefused,
        ["UpdateUserRegistryRole"] = GraphQlCodes.FieldRefused,
        ["UpdateTeamRegistryRole"] = GraphQlCodes.FieldRefused,
        ["GetEntityAutomations"] = GraphQlCodes.FieldRefused,      // triggers of every project
        ["GetOrgAutomations"] = GraphQlCodes.FieldRefused,
        ["CreateAutomation"] = GraphQlCodes.FieldRefused,          // scopeID: a project or a collection
        ["UpdateAutomation"] = GraphQlCodes.FieldRefused,
        ["DeleteAutomation"] = GraphQlCodes.FieldRefused,
        ["GetAutomationsLegacy"] = GraphQlCodes.FieldRefused,      // every project of the shared user
        ["FetchOrgEntityFromEntity"] = GraphQlCodes.FieldRefused,  // the entity's user is the shared upstream user: its organizations are every tenant
        ["GetRunQueueItem"] = GraphQlCodes.FieldRefused,           // a queue item by id below the root, not resolved there
        ["GetDefaultResourceConfig"] = GraphQlCodes.FieldRefused,  // a resource config by id, not resolved
    };

    private static readonly FrozenSet<string> SchemaCodes = FrozenSet.ToFrozenSet(
        [GraphQlCodes.FieldNotAllowed, GraphQlCodes.FieldRefused, GraphQlCodes.ScopeLeft, GraphQlCodes.Invalid], StringComparer.Ordinal);

    public static TheoryData<string> Operations()
    {
        var data = new TheoryData<string>();
        foreach (var name in Split().Keys)
        {
            data.Add(name);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public void Operation_PassesTheSchema_OrIsRefusedAsDocumented(string name)
    {
        var document = Split()[name];
        var limits = new BodyLimits
        {
            MaxBytes = 1 << 20, MaxDecompressedBytes = 1 << 20, MaxFields = 10_000,
            EntityNames = BodyLimits.DefaultEntityNames.ToHashSet().ToFrozenSet(), ProjectNames = BodyLimits.DefaultProjectNames.ToHashSet().ToFrozenSet(),
        };
        string? code = null;
        try
        {
            GraphQlScopeExtractor.Analyze(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { query = document })), limits, Rules.Value, "ml");
        }
        catch (BodyScopeException ex)
        {
            // Without variables an operation may name no scope (scope_not_found): that is the request's, not the schema's.
            code = SchemaCodes.Contains(ex.Code) ? ex.Code + ": " + ex.Message : null;
        }

        if (Refused.TryGetValue(name, out var expected))
        {
            Assert.True(code?.StartsWith(expected + ":", StringComparison.Ordinal) == true, $"{name}: expected {expected}, got {code ?? "accepted"}");
        }
        else
        {
            Assert.True(code is null, $"{name}: {code}");
        }
    }

    [Fact]
    public void TheCorpus_CoversEveryReferenceSection()
    {
        var names = Split().Keys.ToHashSet(StringComparer.Ordinal);
        Assert.True(names.Count >= 140, $"only {names.Count} operations");
        Assert.All(Refused.Keys, r => Assert.Contains(r, names));
    }

    private static readonly Lazy<GraphQlRuleTable> Rules = new(() =>
    {
        var errors = new List<string>();
        var table = GraphQlRuleTable.Load("r", GraphQlRuleTable.BuiltinWandb, ".", errors);
        Assert.Empty(errors);
        return table!;
    });

    private static readonly Lazy<Dictionary<string, string>> Documents = new(() =>
    {
        // Each operation with the fragments it spreads (transitively), printed as its own document.
        var text = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "GraphQL", "sdk-operations.graphql"));
        var document = Parser.Parse(text);
        var fragments = document.Definitions.OfType<GraphQLFragmentDefinition>().ToDictionary(f => f.FragmentName.Name.StringValue);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var operation in document.Definitions.OfType<GraphQLOperationDefinition>())
        {
            var used = new List<GraphQLFragmentDefinition>();
            var pending = new Stack<ASTNode>([operation]);
            while (pending.Count > 0)
            {
                foreach (var spread in Spreads(pending.Pop()))
                {
                    var fragment = fragments[spread];
                    if (!used.Contains(fragment))
                    {
                        used.Add(fragment);
                        pending.Push(fragment);
                    }
                }
            }

            var printed = new StringBuilder(Print(operation));
            foreach (var fragment in used)
            {
                printed.Append('\n').Append(Print(fragment));
            }

            result.Add(operation.Name!.StringValue, printed.ToString());
        }

        return result;
    });

    /// <summary>Each SDK operation of the corpus by name, printed with the fragments it spreads.</summary>
    internal static Dictionary<string, string> Split() => Documents.Value;

    private static string Print(ASTNode node)
    {
        var writer = new StringWriter();
        new SDLPrinter().PrintAsync(node, writer).AsTask().GetAwaiter().GetResult();
        return writer.ToString();
    }

    private static IEnumerable<string> Spreads(ASTNode node)
    {
        var found = new List<string>();
        void Walk(GraphQLSelectionSet? set)
        {
            foreach (var selection in set?.Selections ?? [])
            {
                switch (selection)
                {
                    case GraphQLFragmentSpread spread: found.Add(spread.FragmentName.Name.StringValue); break;
                    case GraphQLField field: Walk(field.SelectionSet); break;
                    case GraphQLInlineFragment inline: Walk(inline.SelectionSet); break;
                }
            }
        }

        Walk(node switch { GraphQLOperationDefinition o => o.SelectionSet, GraphQLFragmentDefinition f => f.SelectionSet, _ => null });
        return found;
    }
}
