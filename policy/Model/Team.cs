namespace Gateway.Policy.Model;

/// <summary>A team: an entity that owns projects. Names are globally unique.</summary>
public sealed record Team
{
    /// <summary>The team's unique name (an entity name).</summary>
    public required string Name { get; init; }

    /// <summary>The organization the team belongs to.</summary>
    public required string Org { get; init; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>
    /// When it was deleted: the record stays as a tombstone so that its name (the upstream's entity, with
    /// the data the upstream still holds under it) can only be taken again by the same organization.
    /// </summary>
    public DateTimeOffset? DeletedAt { get; init; }
}
