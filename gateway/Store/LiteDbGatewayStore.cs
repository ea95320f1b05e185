using Gateway.Keys;
using Gateway.Policy.Model;
using LiteDB;

namespace Gateway.Store;

/// <summary>
/// The embedded store: one <see cref="LiteDatabase"/> per process, behind an exclusive lock file.
/// Writes are serialized and synchronous: LiteDB binds a transaction to the thread that began it,
/// so no transaction ever spans an <c>await</c>.
/// </summary>
internal sealed partial class LiteDbGatewayStore : IGatewayStore
{
    private const string HasImportedKeysId = "hasImportedKeys";
    private const string VersionId = "version";
    private readonly object _writeGate = new();
    private readonly StoreLock _lock;
    private volatile LiteDatabase _db;

    // Set when an I/O failure may have left the engine unusable (LiteDB keeps rethrowing a failed log
    // write, a full disk for instance, until it is reopened); the next operation reopens it.
    private volatile bool _faulted;

    public LiteDbGatewayStore(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        var directory = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(directory))
        {
            PrivateFiles.CreateDirectory(directory);
        }

        var created = !File.Exists(Path);

        _lock = StoreLock.Acquire(Path);
        try
        {
            _db = Open(Path);
            EnsureIndexes();
            if (created && !OperatingSystem.IsWindows())
            {
                // Private whatever the umask of the process that created it (tests host the store in-process).
                File.SetUnixFileMode(Path, PrivateFiles.File);
            }
        }
        catch (Exception ex) when (ex is LiteException or IOException or InvalidCastException or InvalidOperationException or ArgumentException or IndexOutOfRangeException)
        {
            _lock.Dispose();
            throw new StoreUnavailableException($"The store '{Path}' cannot be opened: it is corrupt or unreadable ({ex.GetType().Name}: {ex.Message}). Restore it from a backup or move it aside.", ex);
        }
    }

    public string Path { get; }

    public DirectoryData LoadDirectory() => Read(() => new DirectoryData(
        Col(Collections.Organizations).FindAll().Select(BsonMapping.ToOrganization).ToList(),
        Col(Collections.Teams).FindAll().Select(BsonMapping.ToTeam).ToList(),
        Col(Collections.Users).FindAll().Select(BsonMapping.ToUser).ToList(),
        Col(Collections.ServiceAccounts).FindAll().Select(BsonMapping.ToServiceAccount).ToList(),
        Col(Collections.Projects).FindAll().Select(BsonMapping.ToProject).ToList(),
        Col(Collections.Grants).FindAll().Select(BsonMapping.ToGrant).ToList(),
        Col(Collections.Meta).FindById(HasImportedKeysId) is { } flag && flag["value"].AsBoolean,
        Col(Collections.Issuers).FindAll().Select(BsonMapping.ToIssuer).ToList(),
        StoredVersion()));

    public long ReadVersion() => Read(StoredVersion);

    public bool IsShared => false;

    // Nobody else writes: there is never anything to catch up on.
    public (IReadOnlyList<KeyHash> Keys, IReadOnlyList<string> Principals)? ChangedBetween(long from, long to) => null;

    /// <summary>Every stored document of one collection (<see cref="Collections"/>), for copying the store elsewhere.</summary>
    public IReadOnlyList<BsonDocument> Export(string collection) => Read(() => Col(collection).FindAll().ToList());

    // The lock file already makes this process the only writer; DirectoryService serializes within it.
    public IDisposable LockWrites() => NoLock.Instance;

    private sealed class NoLock : IDisposable
    {
        public static readonly NoLock Instance = new();

        public void Dispose()
        {
        }
    }

    private long StoredVersion() => Col(Collections.Meta).FindById(VersionId) is { } doc ? doc["value"].AsInt64 : 0;

    public ApiKey? FindKeyByHash(in KeyHash hash)
    {
        var id = new BsonValue(hash.ToArray());
        return Read(() => Col(Collections.Keys).FindById(id) is { } doc ? BsonMapping.ToKey(doc) : null);
    }

    public ApiKey? FindAccessTokenByHash(in KeyHash hash)
    {
        var id = new BsonValue(hash.ToArray());
        return Read(() => Col(Collections.AccessTokens).FindById(id) is { } doc ? BsonMapping.ToKey(doc) : null);
    }

    public IReadOnlyList<ApiKey> LiveAccessTokensOfOwner(string ownerId, DateTimeOffset now) => Read(() =>
        Col(Collections.AccessTokens).Find(Query.EQ("ownerId", ownerId))
            .Select(BsonMapping.ToKey)
            .Where(k => string.Equals(k.OwnerId, ownerId, StringComparison.Ordinal) && k.ExpiresAt > now)
            .ToList());

    public int PurgeAccessTokens(DateTimeOffset before)
    {
        var deleted = 0;
        InTransaction(() => deleted = Col(Collections.AccessTokens).DeleteMany(Query.LT("expiresAt", before.ToUnixTimeMilliseconds())));
        return deleted;
    }

    public ApiKey? FindKeyById(string keyId) => Read(() =>
    {
        // The default collation is case-insensitive: the index narrows, the ordinal check decides.
        foreach (var doc in Col(Collections.Keys).Find(Query.EQ("keyId", keyId)))
        {
            if (string.Equals(doc["keyId"].AsString, keyId, StringComparison.Ordinal))
            {
                return BsonMapping.ToKey(doc);
            }
        }

        return null;
    });

    public IReadOnlyList<ApiKey> KeysOfOwner(string ownerId) => Read(() =>
    {
        var usage = Col(Collections.KeyUsage);
        return Col(Collections.Keys).Find(Query.EQ("ownerId", ownerId))
            .Select(BsonMapping.ToKey)
            .Where(k => string.Equals(k.OwnerId, ownerId, StringComparison.Ordinal))
            .Select(k => usage.FindById(new BsonValue(k.Hash)) is { } used ? k with { LastUsedAt = DateTimeOffset.FromUnixTimeMilliseconds(used["at"].AsInt64) } : k)
            .ToList();
    });

    public long Commit(ChangeSet changes, long? expectedVersion = null)
    {
        if (changes.IsEmpty)
        {
            return ReadVersion();
        }

        long version = 0;
        InTransaction(() =>
        {
            // The lock file makes this process the only writer: there is no one to conflict with, and
            // after a failed commit (a full disk) the snapshot, not a half-written counter, is the truth.
            version = Math.Max(StoredVersion(), expectedVersion ?? 0);
            if (changes.TouchesDirectory)
            {
                version++;
                Col(Collections.Meta).Upsert(new BsonDocument { ["_id"] = VersionId, ["value"] = version });
            }

            foreach (var change in changes.Changes)
            {
                var collection = Col(BsonMapping.CollectionOf(change.Record));
                if (change.Delete)
                {
                    collection.Delete(BsonMapping.IdOf(change.Record));
                }
                else
                {
                    collection.Upsert(BsonMapping.ToDocument(change.Record));
                }
            }

            // A flag instead of an index on the key format: an index whose every entry has the same
            // value makes inserts degrade badly at a million keys.
            if (changes.AddsImportedKey)
            {
                Col(Collections.Meta).Upsert(new BsonDocument { ["_id"] = HasImportedKeysId, ["value"] = true });
            }

            var audit = Col(Collections.Audit);
            foreach (var entry in changes.Audit)
            {
                audit.Insert(BsonMapping.FromAudit(entry));
            }
        });
        return version;
    }

    // Last-used times live in their own collection of tiny documents (hash -> time), so a flush never
    // rewrites key documents and their three indexes.
    public void UpdateLastUsed(IReadOnlyCollection<KeyValuePair<KeyHash, DateTimeOffset>> times)
    {
        if (times.Count == 0)
        {
            return;
        }

        InTransaction(() =>
        {
            var usage = Col(Collections.KeyUsage);
            foreach (var (hash, at) in times)
            {
                var id = new BsonValue(hash.ToArray());
                var millis = at.ToUnixTimeMilliseconds();
                if (usage.FindById(id) is not { } stored || stored["at"].AsInt64 < millis)
                {
                    usage.Upsert(new BsonDocument { ["_id"] = id, ["at"] = millis });
                }
            }
        });
    }

    public IReadOnlyList<AuditEvent> QueryAudit(AuditQuery query) => Read(() =>
    {
        var q = Col(Collections.Audit).Query().Where(Query.EQ("org", query.Org));
        if (query.Since is { } since)
        {
            q = q.Where(Query.GTE("at", since.ToUnixTimeMilliseconds()));
        }

        if (query.Until is { } until)
        {
            q = q.Where(Query.LTE("at", until.ToUnixTimeMilliseconds()));
        }

        if (query.Actor is { } actor)
        {
            q = q.Where(Query.EQ("actor", actor));
        }

        if (query.Action is { } action)
        {
            q = q.Where(Query.EQ("action", action));
        }

        return q.OrderByDescending("at").ToEnumerable()
            .Select(BsonMapping.ToAudit)
            .Where(a => string.Equals(a.Org, query.Org, StringComparison.Ordinal)
                && (query.Actor is null || string.Equals(a.Actor, query.Actor, StringComparison.Ordinal))
                && (query.Action is null || string.Equals(a.Action, query.Action, StringComparison.Ordinal)))
            .Take(query.Limit)
            .ToList();
    });

    public bool IsReadable()
    {
        try
        {
            _ = Col(Collections.Organizations).Count();
            return true;
        }
        catch (Exception ex) when (ex is LiteException or IOException or ObjectDisposedException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        lock (_writeGate)
        {
            _db.Dispose();
            _lock.Dispose();
        }
    }

    private ILiteCollection<BsonDocument> Col(string name) => _db.GetCollection(name, BsonAutoId.ObjectId);

    private void EnsureIndexes()
    {
        Col(Collections.Users).EnsureIndex("username", "$.username", true);
        Col(Collections.Users).EnsureIndex("email", "$.email", true);
        Col(Collections.ServiceAccounts).EnsureIndex("displayName", "$.displayName", true);
        Col(Collections.Keys).EnsureIndex("keyId", "$.keyId", true);
        Col(Collections.Keys).EnsureIndex("ownerId", "$.ownerId", false);
        Col(Collections.Keys).DropIndex("format");
        Col(Collections.AccessTokens).EnsureIndex("ownerId", "$.ownerId", false);
        Col(Collections.AccessTokens).EnsureIndex("expiresAt", "$.expiresAt", false);
        Col(Collections.Audit).EnsureIndex("at", "$.at", false);
        Col(Collections.Usage).EnsureIndex("hour", "$.hour", false);
        Col(Collections.Usage).EnsureIndex("principalId", "$.principalId", false);
        Col(Collections.Audit).EnsureIndex("org", "$.org", false);
    }

    private static LiteDatabase Open(string path) => new(new ConnectionString { Filename = path, Connection = ConnectionType.Direct });

    /// <summary>Reopens a faulted engine (under the write gate); the lock file stays held throughout.</summary>
    private void RecoverIfFaulted()
    {
        if (!_faulted)
        {
            return;
        }

        lock (_writeGate)
        {
            if (!_faulted)
            {
                return;
            }

            try
            {
                _db.Dispose();
            }
            catch (Exception ex) when (ex is LiteException or IOException or ObjectDisposedException)
            {
                // A faulted engine may fail to close cleanly; reopening recovers from its log.
            }

            try
            {
                _db = Open(Path);
                _faulted = false;
            }
            catch (Exception ex) when (ex is LiteException or IOException or UnauthorizedAccessException)
            {
                throw new StoreUnavailableException($"The store could not be reopened: {ex.GetType().Name}: {ex.Message}", ex);
            }
        }
    }

    private void InTransaction(Action work)
    {
        RecoverIfFaulted();
        lock (_writeGate)
        {
            try
            {
                if (!_db.BeginTrans())
                {
                    throw new StoreUnavailableException("A store transaction is already open on this thread.");
                }

                try
                {
                    work();
                    _db.Commit();
                }
                catch
                {
                    try
                    {
                        _db.Rollback();
                    }
                    catch (Exception ex) when (ex is LiteException or IOException or ObjectDisposedException)
                    {
                        _faulted = true;
                    }

                    throw;
                }
            }
            catch (Exception ex) when (ex is LiteException or IOException or ObjectDisposedException or UnauthorizedAccessException)
            {
                _faulted = true;
                throw new StoreUnavailableException($"The store write failed: {ex.GetType().Name}: {ex.Message}", ex);
            }
        }
    }

    private T Read<T>(Func<T> read)
    {
        RecoverIfFaulted();
        try
        {
            return read();
        }
        catch (Exception ex) when (ex is LiteException or IOException or ObjectDisposedException or InvalidCastException or UnauthorizedAccessException)
        {
            _faulted |= ex is IOException or ObjectDisposedException;
            throw new StoreUnavailableException($"The store read failed: {ex.GetType().Name}: {ex.Message}", ex);
        }
    }
}
