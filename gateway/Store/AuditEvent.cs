namespace Gateway.Store;

/// <summary>One audited action. Holds ids and names only: never a key, token or secret.</summary>
internal sealed record AuditEvent
{
    public string Id { get; init; } = Guid.CreateVersion7().ToString("N");
    public required DateTimeOffset At { get; init; }
    public required string Org { get; init; }
    public required string Action { get; init; }
    public required string Actor { get; init; }
    public string? ActorId { get; init; }
    public string? KeyId { get; init; }
    public required string Target { get; init; }
    public string? Address { get; init; }
    public string? Detail { get; init; }

    /// <summary>Where the action came from when not the admin API: <c>console</c> for the operator console.</summary>
    public string? Channel { get; init; }
}

/// <summary>A filter over the audit log.</summary>
internal sealed record AuditQuery(string Org, DateTimeOffset? Since, DateTimeOffset? Until, string? Actor, string? Action, int Limit);
