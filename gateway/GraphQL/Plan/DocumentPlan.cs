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
