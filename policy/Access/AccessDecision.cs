using Gateway.Policy.Model;

namespace Gateway.Policy.Access;

/// <summary>
/// The outcome of <see cref="AccessEvaluator"/>. <c>default(AccessDecision)</c> is a denial with reason
/// <see cref="DenyReasons.Denied"/>: a decision that was never made can never allow.
/// </summary>
public readonly struct AccessDecision
{
    private readonly string? _reason;

    private AccessDecision(bool allowed, string reason, string? entity, User? attributedUser, string? attributionReason)
    {
        IsAllowed = allowed;
        _reason = reason;
        Entity = entity;
        AttributedUser = attributedUser;
        AttributionReason = attributionReason;
    }

    /// <summary>True only for an explicit allow.</summary>
    public bool IsAllowed { get; }

    /// <summary>A stable snake_case code: <see cref="DenyReasons.Allowed"/> or why it was denied.</summary>
    public string Reason => _reason ?? DenyReasons.Denied;

    /// <summary>The entity the request resolved to (the default entity when it named none).</summary>
    public string? Entity { get; }

    /// <summary>The user the request is attributed to, when the claim was verified.</summary>
    public User? AttributedUser { get; }

    /// <summary>Null without a claim; otherwise <see cref="DenyReasons.AttributionVerified"/> or why it was dropped.</summary>
    public string? AttributionReason { get; }

    /// <summary>True when the caller must not learn that the project exists (answer 404, not 403).</summary>
    public bool IsNotFound => !IsAllowed && ReferenceEquals(Reason, DenyReasons.ProjectNotFound);

    /// <summary>An allow for <paramref name="entity"/>.</summary>
    public static AccessDecision Allow(string entity, User? attributedUser = null, string? attributionReason = null)
        => new(true, DenyReasons.Allowed, entity, attributedUser, attributionReason);

    /// <summary>A denial with a reason code from <see cref="DenyReasons"/>.</summary>
    public static AccessDecision Deny(string reason, string? entity = null) => new(false, reason, entity, null, null);

    /// <inheritdoc />
    public override string ToString() => IsAllowed ? $"allow {Entity}" : $"deny {Reason}";
}
