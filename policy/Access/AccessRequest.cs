using Gateway.Policy.Model;

namespace Gateway.Policy.Access;

/// <summary>One question for <see cref="AccessEvaluator"/>: may this principal do this to this project?</summary>
/// <param name="Principal">The authenticated caller.</param>
/// <param name="Entity">The entity the request names, or <c>null</c> for the principal's default entity.</param>
/// <param name="Project">The project the request names, or <c>null</c> when it touches only the entity.</param>
/// <param name="Action">Read, write or manage.</param>
/// <param name="Attribution">The user the caller claims to act for (<c>X-WANDB-USERNAME</c> / <c>X-WANDB-USER-EMAIL</c>).</param>
public readonly record struct AccessRequest(
    Principal Principal,
    string? Entity,
    string? Project,
    AccessAction Action,
    AttributionClaim Attribution = default);

/// <summary>A claimed attribution to a human user. Both parts are optional; both empty means no claim.</summary>
/// <param name="Username">The claimed username.</param>
/// <param name="Email">The claimed email address.</param>
public readonly record struct AttributionClaim(string? Username, string? Email)
{
    /// <summary>True when neither part is given.</summary>
    public bool IsEmpty => string.IsNullOrEmpty(Username) && string.IsNullOrEmpty(Email);
}
