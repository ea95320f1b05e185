namespace Gateway.Policy.Model;

/// <summary>An explicit role for one principal on one project.</summary>
public sealed record ProjectGrant
{
    /// <summary>The principal's id.</summary>
    public required string PrincipalId { get; init; }

    /// <summary>The project.</summary>
    public required ProjectKey Project { get; init; }

    /// <summary>The role granted.</summary>
    public required ProjectRole Role { get; init; }
}
