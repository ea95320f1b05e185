namespace Gateway.ForwardAuth;

/// <summary>
/// Set only by <see cref="ForwardAuthDecider"/> on a request it builds in process from what another proxy
/// (Envoy's ext_authz, nginx's auth_request, Traefik's forwardAuth) says it received (features are
/// server-side state no client can set). The proxy's own middleware then authenticates the presented
/// credential and decides exactly as for a proxied request, counts it against the limits and records it,
/// and stops where it would forward, marking the request <see cref="Allowed"/>.
/// </summary>
internal sealed class ForwardAuthFeature
{
    /// <summary>
    /// True when the asking proxy sent the request's body in full. A route that reads its scope from the
    /// body is refused without it: the upstream reads a body the decision never saw.
    /// </summary>
    public required bool BodySent { get; init; }

    /// <summary>The original request has a body (sent or not): GraphQL over GET, which needs none, then needs it too.</summary>
    public bool BodyDeclared { get; init; }

    /// <summary>
    /// True when the asking proxy can send the gateway's own answer to the client instead of forwarding
    /// (ext_authz's denied response carries any status and body); nginx and Traefik cannot (a 2xx forwards).
    /// </summary>
    public required bool MayAnswer { get; init; }

    /// <summary>Set by the middleware where it would have forwarded: the request is allowed.</summary>
    public bool Allowed { get; set; }

    /// <summary>
    /// Why the asking proxy cannot carry out what the proxy path would do for this request, or null: the
    /// gateway would change the body the upstream reads (an omitted entity made explicit), rewrite the
    /// upstream's answer (a viewer splice or a listing filtered to what the caller may see), or answer
    /// itself where the asking proxy cannot. Refusing is the only answer that cannot disagree with the upstream.
    /// </summary>
    public string? Unsupported(GraphQL.GraphQlAnalysis graphQl)
    {
        if (graphQl.AnswersLocally)
        {
            return MayAnswer ? null : "The gateway answers this GraphQL operation itself (the caller's own viewer), which this proxy cannot send; route it through the gateway's proxy or Envoy's ext_authz.";
        }

        if (graphQl.Edits.Count > 0)
        {
            return "The operation omits an entity the gateway would fill in (the caller's default) before the upstream reads it; name the entity in the operation.";
        }

        // Ids the gateway learns from answers are only a cache (the upstream is asked when one is missing).
        return graphQl.Listings.Count > 0 || graphQl.Viewers.Count > 0
            ? "The gateway would filter or complete the upstream's answer to this operation (a viewer or a listing), which an external authorizer cannot; route it through the gateway's proxy."
            : null;
    }
}
