namespace Gateway.Policy.Model;

/// <summary>An organization (W&amp;B org, Neptune workspace). Its name shares the entity namespace.</summary>
public sealed record Organization
{
    /// <summary>The organization's unique name.</summary>
    public required string Name { get; init; }

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }
}
