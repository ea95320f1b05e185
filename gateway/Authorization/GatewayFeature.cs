using Gateway.Policy.Model;

namespace Gateway.Authorization;

/// <summary>
/// What the gateway verified about a request, for the header transforms. Set only by
/// <see cref="GatewayAuthorizationMiddleware"/>; a request without it is never forwarded with identity.
/// </summary>
internal sealed class GatewayFeature
{
    public Principal? Principal { get; init; }

    public string? Entity { get; init; }

    public string? Project { get; init; }

    public string? KeyId { get; init; }

    public string AuthMethod { get; init; } = "api_key";

    /// <summary>The verified attributed user, with the original header values to forward.</summary>
    public User? AttributedUser { get; init; }

    public string? AttributionUsernameHeader { get; init; }

    public string? AttributionEmailHeader { get; init; }
}
