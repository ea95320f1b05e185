using Gateway.Policy.Access;
using Gateway.Policy.Model;
using Gateway.Routing;

namespace Gateway.Explain;

/// <summary>The words of explain's steps.</summary>
internal static class ExplainText
{
    public static string Target(string? entity, string? project)
        => project is null ? $"entity {entity ?? "(the default entity)"}" : $"project {entity ?? "(the default entity)"}/{project}";

    public static string Verb(AccessAction action) => action switch { AccessAction.Read => "read", AccessAction.Manage => "manage", _ => "write" };

    public static string Source(RouteScope scope) => scope.Kind switch
    {
        ScopeKind.Path => $"path ({{{scope.Entity}}}" + (scope.Project is null ? ")" : $", {{{scope.Project}}})"),
        ScopeKind.Query => scope.ProjectId is { } id ? $"query parameter {id}" : $"query parameters {scope.Entity}" + (scope.Project is null ? "" : $" and {scope.Project}"),
        ScopeKind.Header => $"headers {scope.Entity}" + (scope.Project is null ? "" : $" and {scope.Project}"),
        _ => "request",
    };

    /// <summary>One reference's decision: the visibility of the project and the rule that decided, from the caller's rights.</summary>
    public static string Rule(ExplainFeature explain, Principal principal, AccessDecision decision, BodyScope.ScopeReference reference, Directory.DirectorySnapshot snapshot)
    {
        var entity = decision.Entity ?? reference.Entity ?? AccessEvaluator.DefaultEntity(principal) ?? "-";
        var target = explain.Target(entity, reference.Project);
        var visibility = reference.Project is { } name && snapshot.TryGetProject(new ProjectKey(entity, name), out var project)
            ? $"{Wire(project.Visibility)} project"
            : reference.Project is null ? "the entity" : "a project the directory does not hold (team visibility)";
        return decision.IsAllowed
            ? $"{principal.DisplayName} may {Verb(reference.Action)} {target} ({visibility})."
            : $"{principal.DisplayName} may not {Verb(reference.Action)} {target}: {decision.Reason}"
              + (target.StartsWith("an entity outside", StringComparison.Ordinal) ? ""
                  : Authorization.DenialDetails.For(decision.Reason, principal, entity, reference.Project, reference.Action) is { } words ? $" ({words})" : "") + ".";
    }

    private static string Wire(Visibility visibility) => Store.Wire.Of(visibility);
}
