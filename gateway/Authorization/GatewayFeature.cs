using Gateway.Policy.Model;

namespace Gateway.Authorization;

/// <summary>
/// What the gateway verified about a request, for the header transforms. Set only by
/// <see cref="GatewayAuthorizationMiddleware"/>; a request without it is never forwarded with identity.
/// </summary>
internal sealed class GatewayFeature
{
    public Principal? Principal { get; init; }

    /// <summary>Forwarded by a shadow-mode route although the gateway would have refused it: no identity headers.</summary>
    public bool Shadowed { get; init; }

    public string? Entity { get; init; }

    public string? Project { get; init; }

    public string? KeyId { get; init; }

    public string AuthMethod { get; init; } = "api_key";

    /// <summary>The verified attributed user, with the original header values to forward.</summary>
    public User? AttributedUser { get; init; }

    public string? AttributionUsernameHeader { get; init; }

    public string? AttributionEmailHeader { get; init; }

    /// <summary>A GraphQL request whose answer the gateway rewrites (viewer splice, listing filter).</summary>
    public GraphQL.GraphQlAnalysis? GraphQl { get; set; }

    /// <summary>The gateway's own answer (a viewer-only GraphQL request): written instead of forwarding.</summary>
    public byte[]? LocalAnswer { get; set; }

    /// <summary>What a viewer answer or a listing filter is built from.</summary>
    public GraphQL.ViewerAnswer.Facts? Viewer { get; set; }
}
