using Gateway.Authentication;

namespace Gateway.Explain;

/// <summary>One step of a decision as explain shows it: the stage, what it concluded, and in words why.</summary>
internal sealed record ExplainStep(string Stage, string Outcome, string Detail);

/// <summary>
/// Set only by <see cref="DecisionExplainer"/> on a request it builds in process (features are server-side
/// state no client can set): the proxy's own middleware then takes <see cref="Identity"/> instead of a
/// credential (explain names a key or principal, never a secret), records each step it takes, and never
/// forwards or counts the request against any limit. Everything else is the proxy path itself.
/// </summary>
internal sealed class ExplainFeature(AuthenticationResult identity)
{
    public AuthenticationResult Identity { get; } = identity;

    public List<ExplainStep> Steps { get; } = [];

    /// <summary>True when the decision allowed the request: it would have been forwarded (or answered by the gateway).</summary>
    public bool Allowed { get; set; }

    /// <summary>For an allowed request: the entity and project the identity headers would name.</summary>
    public string? Entity { get; set; }

    public string? Project { get; set; }

    public void Add(string stage, string outcome, string detail) => Steps.Add(new ExplainStep(stage, outcome, detail));

    /// <summary>
    /// An entity and project as a step names them: only entities of the principal's own organization are
    /// named (an id the upstream resolved may point anywhere; explain must not tell one organization's
    /// admins another's project names).
    /// </summary>
    public string Target(string? entity, string? project)
    {
        var principal = Identity.Principal!;
        var name = entity ?? Policy.Access.AccessEvaluator.DefaultEntity(principal);
        var own = name is not null && (Identity.Snapshot?.TryGetEntity(name, out var found) ?? false) && found.Org == principal.Org;
        return own ? ExplainText.Target(name, project) : $"an entity outside organization {principal.Org} (not named)";
    }
}
