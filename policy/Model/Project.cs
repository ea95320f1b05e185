namespace Gateway.Policy.Model;

/// <summary>A project, owned by an entity (a team or a user's personal entity).</summary>
public sealed record Project
{
    /// <summary>The owning entity's name.</summary>
    public required string Entity { get; init; }

    /// <summary>The project's name, unique within its entity.</summary>
    public required string Name { get; init; }

    /// <summary>Who may see and write it.</summary>
    public Visibility Visibility { get; init; } = Visibility.Team;

    /// <summary>When it was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The key that identifies it in the directory.</summary>
    public ProjectKey Key => new(Entity, Name);
}

/// <summary>Identifies a project: entity plus name, compared ordinally.</summary>
public readonly record struct ProjectKey(string Entity, string Name)
{
    /// <inheritdoc />
    public override string ToString() => Entity + "/" + Name;
}
