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

    /// <summary>
    /// Replaces the issuers defined in gateway.json (after a configuration reload) with
    /// <paramref name="issuers"/>: added and changed ones are published, removed ones dropped (their
    /// tokens and the access tokens exchanged from them fail on the next request: mappings are checked
    /// against the snapshot). An unchanged definition keeps its instance, so caches keyed on it survive.
    /// Nothing is written to the store: configuration issuers live in configuration only.
    /// </summary>
    public (int Added, int Changed, int Removed) ReplaceConfiguredIssuers(IReadOnlyList<TrustedIssuer> issuers)
    {
        lock (_writeGate)
        {
            var snapshot = _current;
            var old = snapshot.Issuers.Values.Where(i => i.FromConfiguration).ToDictionary(i => i.Url, StringComparer.Ordinal);
            var changes = new ChangeSet();
            var (added, changed, removed) = (0, 0, 0);
            foreach (var issuer in issuers)
            {
                if (old.TryGetValue(issuer.Url, out var existing))
                {
                    if (Federation.IssuerRules.SameDefinition(existing, issuer))
                    {
                        continue;
                    }

                    changed++;
                }
                else
                {
                    added++;
                }

                changes.Put(issuer);
            }

            foreach (var gone in old.Values.Where(o => !issuers.Any(i => i.Url == o.Url)))
            {
                changes.Remove(gone);
                removed++;
            }

            if (!changes.IsEmpty)
            {
                Volatile.Write(ref _current, snapshot.Apply(changes));
            }

            return (added, changed, removed);
        }
    }

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
