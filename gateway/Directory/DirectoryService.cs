using Gateway.Keys;
using Gateway.Policy.Model;
using Gateway.Store;

namespace Gateway.Directory;

/// <summary>
/// Owns the current <see cref="DirectorySnapshot"/> and serializes every write: plan against the
/// snapshot, commit to the store in one transaction, publish the new snapshot, invalidate caches —
/// all before the caller answers. A plan that throws writes nothing; a commit that fails publishes
/// nothing.
/// </summary>
internal sealed class DirectoryService
{
    private readonly object _writeGate = new();
    private readonly ApiKeyCache _keyCache;
    private DirectorySnapshot _current;

    public DirectoryService(IGatewayStore store, ApiKeyCache keyCache, IEnumerable<TrustedIssuer>? configuredIssuers = null)
        : this(store, keyCache, store.LoadDirectory(), configuredIssuers)
    {
    }

    /// <summary>Starts from <paramref name="data"/> already read from <paramref name="store"/>, plus the issuers of gateway.json.</summary>
    public DirectoryService(IGatewayStore store, ApiKeyCache keyCache, DirectoryData data, IEnumerable<TrustedIssuer>? configuredIssuers)
    {
        Store = store;
        _keyCache = keyCache;
        _current = DirectorySnapshot.From(data, configuredIssuers);
    }

    public IGatewayStore Store { get; }

    public DirectorySnapshot Current => Volatile.Read(ref _current);

    public T Write<T>(Func<DirectorySnapshot, (ChangeSet Changes, T Result)> plan)
    {
        lock (_writeGate)
        {
            var snapshot = _current;
            var (changes, result) = plan(snapshot);
            if (changes.IsEmpty)
            {
                return result;
            }

            Store.Commit(changes);
            Volatile.Write(ref _current, snapshot.Apply(changes));
            foreach (var (record, _) in changes.Changes)
            {
                switch (record)
                {
                    case ApiKey key:
                        _keyCache.Invalidate(KeyHash.FromBytes(key.Hash));
                        break;
                    case Principal principal:
                        _keyCache.InvalidateOwner(principal.Id);
                        break;
                }
            }

            return result;
        }
    }
}
