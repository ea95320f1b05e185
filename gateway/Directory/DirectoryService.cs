using Gateway.Keys;
using Gateway.Policy.Model;
using Gateway.Store;

namespace Gateway.Directory;

/// <summary>
/// Owns the current <see cref="DirectorySnapshot"/> and serializes every write: plan against the
/// snapshot, commit to the store in one transaction (only from the snapshot's version), publish the
/// new snapshot, invalidate caches — all before the caller answers. A plan that throws writes nothing;
/// a commit that fails publishes nothing; a commit that finds another replica's newer version reloads
/// and plans again.
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
        _current = DirectorySnapshot.From(data, configuredIssuers).AtVersion(data.Version);
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

    /// <summary>
    /// A check every write of the current request runs first, against the snapshot it plans on (set by
    /// the admin API for its caller: <c>AdminCallerCheck</c>); it throws to refuse. Flows with the request.
    /// </summary>
    public static readonly AsyncLocal<Action<DirectorySnapshot>?> WriterCheck = new();

    public T Write<T>(Func<DirectorySnapshot, (ChangeSet Changes, T Result)> plan)
    {
        lock (_writeGate)
        {
            for (var attempt = 1; ; attempt++)
            {
                var snapshot = _current;
                WriterCheck.Value?.Invoke(snapshot);
                var (changes, result) = plan(snapshot);
                if (changes.IsEmpty)
                {
                    return result;
                }

                if (!changes.TouchesDirectory)
                {
                    // Audit events and new access tokens: nothing another replica's plan depends on.
                    Store.Commit(changes);
                    Invalidate(changes);
                    return result;
                }

                long version;
                try
                {
                    using (Store.LockWrites())
                    {
                        // Planned on a view another replica has since changed: plan again on the current one.
                        if (Store.IsShared && Store.ReadVersion() != snapshot.Version)
                        {
                            RefreshLocked(force: false);
                            snapshot = _current;
                            // The caller too is checked again on the view planned on (demoted or revoked elsewhere since).
                            WriterCheck.Value?.Invoke(snapshot);
                            (changes, result) = plan(snapshot);
                            if (changes.IsEmpty)
                            {
                                return result;
                            }
                        }

                        // Only from the version planned on: the lock makes this hold, the check proves it.
                        version = Store.Commit(changes, snapshot.Version);
                    }
                }
                catch (DirectoryConflictException) when (attempt < MaxWriteAttempts)
                {
                    RefreshLocked(force: false);
                    continue;
                }
                catch (DirectoryConflictException ex)
                {
                    throw new StoreUnavailableException($"The directory kept changing while this write was planned ({MaxWriteAttempts} attempts); retry.", ex);
                }

                Volatile.Write(ref _current, snapshot.Apply(changes).AtVersion(version));
                Invalidate(changes);
                return result;
            }
        }
    }

    private const int MaxWriteAttempts = 8;

    /// <summary>
    /// Reloads the directory from the store when its version moved (or always, with
    /// <paramref name="force"/>: after a lost connection nothing cached can be trusted) and publishes
    /// it; drops the cached keys and tokens those versions changed (all of them when the store cannot
    /// say which, or after a reconnect). Returns true when a new snapshot was published.
    /// </summary>
    public bool Refresh(bool force)
    {
        lock (_writeGate)
        {
            return RefreshLocked(force);
        }
    }

    /// <summary>
    /// On a shared store: when the store's version is ahead of this replica's snapshot, reloads now
    /// instead of waiting for the notification (a key created on another replica a moment ago names an
    /// owner this snapshot does not know yet). One cheap version read; concurrent callers wait for the
    /// one reload (the write gate) and then find nothing left to do. True when the snapshot moved.
    /// Throws <see cref="StoreUnavailableException"/> when the store cannot say.
    /// </summary>
    public bool CatchUp()
    {
        if (!Store.IsShared)
        {
            return false;
        }

        var stored = Store.ReadVersion();
        if (stored <= Current.Version)
        {
            return false;
        }

        lock (_writeGate)
        {
            return stored > _current.Version && RefreshLocked(force: false);
        }
    }

    private bool RefreshLocked(bool force)
    {
        var data = Store.LoadDirectory();
        var current = _current;
        if (!force && data.Version == current.Version)
        {
            return false;
        }

        // What the versions in between changed, when the store can say (and this is not a reconnect):
        // only those keys and owners leave the cache; otherwise all of it does.
        var changed = force || data.Version <= current.Version ? null : Store.ChangedBetween(current.Version, data.Version);

        // Issuers of gateway.json are not in the store; stored issuers whose definition did not change
        // keep their instance, so their fetched signing keys and validated tokens stay cached.
        var configured = current.Issuers.Values.Where(i => i.FromConfiguration);
        var stored = data.Issuers.Select(i => current.Issuers.TryGetValue(i.Url, out var old) && !old.FromConfiguration && Federation.IssuerRules.SameDefinition(old, i) ? old : i).ToList();
        Volatile.Write(ref _current, DirectorySnapshot.From(data with { Issuers = stored }, configured).AtVersion(data.Version));
        if (changed is { } known)
        {
            Invalidate(known.Keys, known.Principals);
        }
        else
        {
            _keyCache.Clear();
        }

        return true;
    }

    private void Invalidate(ChangeSet changes)
    {
        var (keys, principals) = changes.CachedThings();
        Invalidate(keys.Select(h => KeyHash.FromBytes(h)), principals);
    }

    private void Invalidate(IEnumerable<KeyHash> keys, IEnumerable<string> principals)
    {
        foreach (var key in keys)
        {
            _keyCache.Invalidate(key);
        }

        foreach (var principal in principals.Distinct(StringComparer.Ordinal))
        {
            _keyCache.InvalidateOwner(principal);
        }
    }
}
