using System.Collections.Frozen;

namespace Gateway.GraphQL.Plan;

/// <summary>
/// What the type walk leaves for each request of a document to check: the variables that carry the
/// name of a project a field enters (<c>project(name: $p)</c>, <c>entity { project(name: $p) }</c>).
/// Such a variable must be a non-empty string when the request runs (sent, or defaulted in the
/// document): with a null name, only the entity would be authorized while the upstream resolves a
/// project of its own choosing below it.
/// </summary>
internal sealed record DocumentPlan(FrozenDictionary<string, bool> ProjectVariables)
{
    public static readonly DocumentPlan Empty = new(FrozenDictionary<string, bool>.Empty);

    /// <summary>True for the plan kept with a cached document (shared by its requests): only such a plan keeps a compiled argument plan.</summary>
    public bool Shared { get; init; }

    // Compiled on the document's first request under a route (its limits decide argument roles); a
    // request under another route's limits compiles its own and keeps the last one. Read and written
    // whole by reference: two requests compiling at once both produce the same plan.
    private Scope.GraphQlScopeExtractor.ArgumentPlan? _arguments;

    /// <summary>The compiled argument plan for <paramref name="limits"/>, compiling it on first use; null when the plan is not shared.</summary>
    public Scope.GraphQlScopeExtractor.ArgumentPlan? Arguments(BodyScope.BodyLimits limits, GraphQLParser.AST.GraphQLDocument document, GraphQlRuleTable rules)
    {
        if (!Shared)
        {
            return null;
        }

        var compiled = Volatile.Read(ref _arguments);
        if (compiled is null || !ReferenceEquals(compiled.Limits, limits))
        {
            compiled = Scope.GraphQlScopeExtractor.Compile(document, limits, rules);
            Volatile.Write(ref _arguments, compiled);
        }

        return compiled;
    }

    /// <summary>Refuses a request whose project variables are missing, null or not a string (a string default in the document counts).</summary>
    public void CheckVariables(System.Text.Json.JsonElement? variables)
    {
        foreach (var (name, defaulted) in ProjectVariables)
        {
            var given = variables is { } values && values.TryGetProperty(name, out var value) ? value : default;
            var ok = given.ValueKind switch
            {
                System.Text.Json.JsonValueKind.String => given.GetString()!.Length > 0,
                System.Text.Json.JsonValueKind.Undefined => defaulted,
                _ => false,
            };
            if (!ok)
            {
                throw new BodyScope.BodyScopeException(400, BodyScope.BodyScopeCodes.ScopeNotFound,
                    $"The variable '${name}' names the project a field enters and is missing, null or not a string: name the project.");
            }
        }
    }
}
