using Gateway.Keys;
using Gateway.Policy.Model;

namespace Gateway.Store;

/// <summary>
/// The persistent directory: LiteDB embedded (one process), or PostgreSQL shared by several replicas. Every method throws <see cref="StoreUnavailableException"/> when the store
/// cannot answer; none of them returns a guess.
/// </summary>
internal interface IGatewayStore : IDisposable
{
    /// <summary>Reads the whole directory except keys and audit (loaded once at startup).</summary>
    DirectoryData LoadDirectory();

    /// <summary>Finds a key by the SHA-256 of the whole key.</summary>
    ApiKey? FindKeyByHash(in KeyHash hash);

    /// <summary>Finds a key by its public id, compared exactly.</summary>
    ApiKey? FindKeyById(string keyId);

    /// <summary>All keys, revoked ones included, of the given owner (never its access tokens).</summary>
    IReadOnlyList<ApiKey> KeysOfOwner(string ownerId);

    /// <summary>Finds an access token by the SHA-256 of the whole token.</summary>
    ApiKey? FindAccessTokenByHash(in KeyHash hash);

    /// <summary>The owner's access tokens that have not expired by <paramref name="now"/>.</summary>
    IReadOnlyList<ApiKey> LiveAccessTokensOfOwner(string ownerId, DateTimeOffset now);

    /// <summary>Deletes access tokens that expired before <paramref name="before"/>; returns how many.</summary>
    int PurgeAccessTokens(DateTimeOffset before);

    /// <summary>
    /// Applies <paramref name="changes"/> in one durable transaction: all or nothing. A change set that
    /// touches the directory (<see cref="ChangeSet.TouchesDirectory"/>) moves the directory's version
    /// by one, and only from <paramref name="expectedVersion"/> when one is given: another writer got
    /// there first → <see cref="DirectoryConflictException"/>, nothing written. Returns the version
    /// after the commit.
    /// </summary>
    long Commit(ChangeSet changes, long? expectedVersion = null);

    /// <summary>The directory's current version (the count of committed directory changes).</summary>
    long ReadVersion();

    /// <summary>True when other processes write to the same store (replicas on PostgreSQL).</summary>
    bool IsShared { get; }

    /// <summary>
    /// The key hashes and principal ids changed by the directory versions after <paramref name="from"/>
    /// up to <paramref name="to"/>, or null when the store cannot say (then every cache is suspect).
    /// </summary>
    (IReadOnlyList<KeyHash> Keys, IReadOnlyList<string> Principals)? ChangedBetween(long from, long to);

    /// <summary>
    /// Holds the directory's write lock until disposed: across replicas, one directory change is
    /// planned and committed at a time, so a writer waits instead of losing a race over and over.
    /// The embedded store is one process: nothing to hold.
    /// </summary>
    IDisposable LockWrites();

    /// <summary>Records last-used times in one transaction; never moves a time backwards.</summary>
    void UpdateLastUsed(IReadOnlyCollection<KeyValuePair<KeyHash, DateTimeOffset>> times);

    /// <summary>Audit events of one organization, newest first.</summary>
    IReadOnlyList<AuditEvent> QueryAudit(AuditQuery query);

    /// <summary>True when the store answers a trivial read.</summary>
    bool IsReadable();

    /// <summary>The project an id the gateway learned from an upstream answer belongs to, if it learned it.</summary>
    LearnedId? FindLearnedId(string type, string id);

    /// <summary>Keeps a learned id's project; the first binding of an id stands (returns it).</summary>
    LearnedId BindLearnedId(LearnedId binding);

    /// <summary>Adds request counts (batched by <see cref="Usage.UsageCounters"/>): each row's count is added to the stored one.</summary>
    void AddUsage(IReadOnlyCollection<UsageCount> counts);

    /// <summary>A principal's counts (one key's, when given) from <paramref name="since"/>, oldest first.</summary>
    IReadOnlyList<UsageCount> QueryUsage(string principalId, string? keyId, DateTimeOffset since);

    /// <summary>Allowed requests since <paramref name="since"/> per principal and key, across every replica writing to this store (for quotas).</summary>
    IReadOnlyList<UsageCount> AllowedSince(DateTimeOffset since);

    /// <summary>Deletes counts of hours before <paramref name="before"/>; returns how many rows went.</summary>
    int PurgeUsage(DateTimeOffset before);
}

/// <summary>
/// An id of an object the upstream created in an authorized request (a sweep agent, a run-queue item, an
/// artifact manifest), bound to that request's (entity, project): later requests naming the id by itself
/// are authorized on it without a lookup the upstream may not offer.
/// </summary>
internal sealed record LearnedId(string Type, string Id, string Entity, string Project, DateTimeOffset LearnedAt);

/// <summary>The directory as loaded from the store.</summary>
internal sealed record DirectoryData(
    IReadOnlyList<Organization> Organizations,
    IReadOnlyList<Team> Teams,
    IReadOnlyList<User> Users,
    IReadOnlyList<ServiceAccount> ServiceAccounts,
    IReadOnlyList<Project> Projects,
    IReadOnlyList<ProjectGrant> Grants,
    bool HasImportedKeys,
    IReadOnlyList<TrustedIssuer> Issuers,
    long Version = 0);
