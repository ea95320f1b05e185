namespace Gateway.Policy.Model;

/// <summary>What an entity name resolves to.</summary>
/// <param name="Name">The entity name.</param>
/// <param name="Org">The organization that owns it.</param>
/// <param name="Kind">A team or a personal entity.</param>
/// <param name="OwnerUserId">For a personal entity, the user's id.</param>
public readonly record struct EntityRef(string Name, string Org, EntityKind Kind, string? OwnerUserId);
