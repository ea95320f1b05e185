namespace Gateway.Policy.Model;

/// <summary>Someone who can authenticate: a user or a service account.</summary>
public abstract record Principal
{
    /// <summary>An immutable random id. Grants and keys refer to it, so a re-created name inherits nothing.</summary>
    public required string Id { get; init; }

    /// <summary>The organization the principal belongs to.</summary>
    public required string Org { get; init; }

    /// <summary>A deactivated principal cannot authenticate at all.</summary>
    public bool Active { get; init; } = true;

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Request limits of its own over the configured ones; null: the configured ones.</summary>
    public PrincipalLimits? Limits { get; init; }

    /// <summary>The name shown to people and sent upstream: <c>alice</c>, <c>ci@ml-team</c>, <c>ci@acme</c>.</summary>
    public abstract string DisplayName { get; }
}
