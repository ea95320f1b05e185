namespace Gateway.Store;

/// <summary>
/// Requests of one principal (through one key, or <see cref="KeyId"/> empty for federated JWTs) in one
/// UTC hour with one outcome: <c>allowed</c>, or the refusal's code.
/// </summary>
internal readonly record struct UsageCount(DateTimeOffset Hour, string PrincipalId, string KeyId, string Outcome, long Count);
