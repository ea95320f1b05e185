using Gateway.Keys;
using Gateway.Policy.Model;
using Gateway.Store;

namespace Gateway.Tests.Common;

/// <summary>
/// A store that holds nothing and takes no write, for unit tests of one class: each test store overrides
/// only what its test watches (lookups counted, last-used times recorded, usage summed).
/// </summary>
internal abstract class EmptyStore : IGatewayStore
{
    public virtual DirectoryData LoadDirectory() => new([], [], [], [], [], [], false, []);
    public virtual ApiKey? FindKeyByHash(in KeyHash hash) => null;
    public virtual ApiKey? FindAccessTokenByHash(in KeyHash hash) => null;
    public virtual ApiKey? FindKeyById(string keyId) => null;
    public virtual IReadOnlyList<ApiKey> KeysOfOwner(string ownerId) => [];
    public virtual IReadOnlyList<ApiKey> LiveAccessTokensOfOwner(string ownerId, DateTimeOffset now) => [];
    public virtual int PurgeAccessTokens(DateTimeOffset before) => 0;
    public virtual long Commit(ChangeSet changes, long? expectedVersion = null) => throw new NotSupportedException();
    public virtual long ReadVersion() => 0;
    public virtual bool IsShared => false;
    public virtual (IReadOnlyList<KeyHash> Keys, IReadOnlyList<string> Principals)? ChangedBetween(long from, long to) => null;
    public virtual IDisposable LockWrites() => throw new NotSupportedException();
    public virtual void UpdateLastUsed(IReadOnlyCollection<KeyValuePair<KeyHash, DateTimeOffset>> times) => throw new NotSupportedException();
    public virtual IReadOnlyList<AuditEvent> QueryAudit(AuditQuery query) => [];
    public virtual bool IsReadable() => true;
    public virtual LearnedId? FindLearnedId(string type, string id) => null;
    public virtual LearnedId BindLearnedId(LearnedId binding) => binding;
    public virtual void AddUsage(IReadOnlyCollection<UsageCount> counts)
    {
    }

    public virtual IReadOnlyList<UsageCount> QueryUsage(string principalId, string? keyId, DateTimeOffset since) => [];
    public virtual IReadOnlyList<UsageCount> AllowedSince(DateTimeOffset since) => [];
    public virtual int PurgeUsage(DateTimeOffset before) => 0;

    public void Dispose()
    {
    }
}
