using System.Net.Sockets;
using Gateway.Keys;
using Gateway.Policy.Model;
using LiteDB;
using Npgsql;

namespace Gateway.Store.Postgres;

/// <summary>
/// The shared store for several replicas. Records are kept as the same documents the embedded store
/// writes (one mapping, <see cref="BsonMapping"/>, as JSON text) in plain tables; what must be unique
/// is unique by constraint. Every change set is one transaction with its audit events; one that
/// touches the directory moves <c>gateway_meta.version</c> by one (only from the version it was planned
/// on) and notifies <see cref="Channel"/> with the new version inside the same transaction, so the
/// notification exists exactly when the change does.
/// </summary>
internal sealed partial class PostgresGatewayStore : IGatewayStore
{
    public const string Channel = "gateway_directory";
    private const string UniqueViolation = "23505";

    private readonly TimeProvider _time;

    public PostgresGatewayStore(string connectionString, TimeProvider time)
    {
        _time = time;
        var builder = new NpgsqlConnectionStringBuilder(connectionString)
        {
            // An unreachable database must fail a request in seconds, not hang it for Npgsql's defaults.
            Timeout = 5,
            CommandTimeout = 15,
            KeepAlive = 10,
        };
        // Named in pg_stat_activity, so an operator can tell the gateway's sessions and its listener apart.
        builder.ApplicationName ??= "ml-auth-gateway";
        Source = NpgsqlDataSource.Create(builder.ConnectionString);
        ListenerSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(builder.ConnectionString)
        {
            ApplicationName = builder.ApplicationName + "-listener",
            Pooling = false,
        }.ConnectionString);
        Description = $"{builder.Host}:{builder.Port}/{builder.Database}";
        Run(() => PostgresSchema.Migrate(Source));
    }

    public NpgsqlDataSource Source { get; }

    /// <summary>The change listener's own connections (<see cref="DirectorySync"/>), unpooled: a lost one is gone.</summary>
    public NpgsqlDataSource ListenerSource { get; }

    /// <summary>Host, port and database, for logs (never the password).</summary>
    public string Description { get; }

    public DirectoryData LoadDirectory() => Run(() =>
    {
        using var connection = Source.OpenConnection();
        // One consistent view: the version read is the version of the rows read.
        using var transaction = connection.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
        var orgs = new List<Organization>();
        var teams = new List<Team>();
        var users = new List<User>();
        var accounts = new List<ServiceAccount>();
        var projects = new List<Project>();
        var grants = new List<ProjectGrant>();
        var issuers = new List<TrustedIssuer>();
        using (var command = new NpgsqlCommand("SELECT kind, doc FROM gateway_records", connection, transaction))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var doc = Document(reader.GetString(1));
                switch (reader.GetString(0))
                {
                    case Collections.Organizations: orgs.Add(BsonMapping.ToOrganization(doc)); break;
                    case Collections.Teams: teams.Add(BsonMapping.ToTeam(doc)); break;
                    case Collections.Users: users.Add(BsonMapping.ToUser(doc)); break;
                    case Collections.ServiceAccounts: accounts.Add(BsonMapping.ToServiceAccount(doc)); break;
                    case Collections.Projects: projects.Add(BsonMapping.ToProject(doc)); break;
                    case Collections.Grants: grants.Add(BsonMapping.ToGrant(doc)); break;
                    case Collections.Issuers: issuers.Add(BsonMapping.ToIssuer(doc)); break;
                }
            }
        }

        var version = Meta(connection, transaction, "version");
        var imported = Meta(connection, transaction, "has_imported_keys") != 0;
        transaction.Commit();
        return new DirectoryData(orgs, teams, users, accounts, projects, grants, imported, issuers, version);
    });

    public bool IsShared => true;

    public (IReadOnlyList<KeyHash> Keys, IReadOnlyList<string> Principals)? ChangedBetween(long from, long to) => Run(() =>
    {
        using var connection = Source.OpenConnection();
        using var command = new NpgsqlCommand("SELECT key_hashes, principal_ids FROM gateway_changes WHERE version > $1 AND version <= $2", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = from });
        command.Parameters.Add(new NpgsqlParameter { Value = to });
        using var reader = command.ExecuteReader();
        var keys = new List<KeyHash>();
        var principals = new List<string>();
        var versions = 0L;
        while (reader.Read())
        {
            versions++;
            keys.AddRange(reader.GetFieldValue<byte[][]>(0).Select(h => KeyHash.FromBytes(h)));
            principals.AddRange(reader.GetFieldValue<string[]>(1));
        }

        // A version without its trace (pruned, or written before the trace existed): nothing can be told apart.
        return versions == to - from ? ((IReadOnlyList<KeyHash>)keys, (IReadOnlyList<string>)principals) : ((IReadOnlyList<KeyHash>, IReadOnlyList<string>)?)null;
    });

    public long ReadVersion() => Run(() =>
    {
        using var connection = Source.OpenConnection();
        return Meta(connection, null, "version");
    });

    // Arbitrary, fixed: the advisory lock every replica takes around a directory change.
    private const long WriteLockId = 0x6777_5f77_7269_7465;

    public IDisposable LockWrites() => Run(() =>
    {
        var connection = Source.OpenConnection();
        try
        {
            // A session lock: a replica that dies holding it loses its session, and the lock with it.
            using var command = new NpgsqlCommand($"SELECT pg_advisory_lock({WriteLockId})", connection);
            command.ExecuteNonQuery();
            return (IDisposable)new WriteLock(connection);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    });

    private sealed class WriteLock(NpgsqlConnection connection) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                using var command = new NpgsqlCommand($"SELECT pg_advisory_unlock({WriteLockId})", connection);
                command.ExecuteNonQuery();
            }
            catch (Exception ex) when (IsUnavailable(ex))
            {
                // The session is gone or going: the lock goes with it (and a pooled connection is reset on return).
            }

            connection.Dispose();
        }
    }

    public ApiKey? FindKeyByHash(in KeyHash hash) => FindOne("SELECT doc FROM gateway_keys WHERE hash = $1", hash.ToArray());

    public ApiKey? FindAccessTokenByHash(in KeyHash hash) => FindOne("SELECT doc FROM gateway_access_tokens WHERE hash = $1", hash.ToArray());

    public ApiKey? FindKeyById(string keyId) => FindOne("SELECT doc FROM gateway_keys WHERE key_id = $1", keyId);

    public IReadOnlyList<ApiKey> KeysOfOwner(string ownerId) => Run(() =>
    {
        using var connection = Source.OpenConnection();
        using var command = new NpgsqlCommand(
            "SELECT k.doc, u.at FROM gateway_keys k LEFT JOIN gateway_key_usage u ON u.hash = k.hash WHERE k.owner_id = $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = ownerId });
        using var reader = command.ExecuteReader();
        var keys = new List<ApiKey>();
        while (reader.Read())
        {
            var key = BsonMapping.ToKey(Document(reader.GetString(0)));
            keys.Add(reader.IsDBNull(1) ? key : key with { LastUsedAt = DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)) });
        }

        return (IReadOnlyList<ApiKey>)keys;
    });

    public IReadOnlyList<ApiKey> LiveAccessTokensOfOwner(string ownerId, DateTimeOffset now) => Run(() =>
    {
        using var connection = Source.OpenConnection();
        using var command = new NpgsqlCommand("SELECT doc FROM gateway_access_tokens WHERE owner_id = $1 AND expires_at > $2", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = ownerId });
        command.Parameters.Add(new NpgsqlParameter { Value = now.ToUnixTimeMilliseconds() });
        return Documents(command, BsonMapping.ToKey);
    });

    public int PurgeAccessTokens(DateTimeOffset before) => Run(() =>
    {
        using var connection = Source.OpenConnection();
        using var command = new NpgsqlCommand("DELETE FROM gateway_access_tokens WHERE expires_at < $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = before.ToUnixTimeMilliseconds() });
        return command.ExecuteNonQuery();
    });

    public long Commit(ChangeSet changes, long? expectedVersion = null) => Run(() =>
    {
        using var connection = Source.OpenConnection();
        using var transaction = connection.BeginTransaction();
        long version;
        if (changes.TouchesDirectory)
        {
            // The row lock serializes committers; a second one planned on the same version finds the
            // row moved once the first commits, updates nothing, and conflicts.
            using var bump = new NpgsqlCommand(
                "UPDATE gateway_meta SET value = value + 1 WHERE key = 'version' AND ($1::bigint IS NULL OR value = $1) RETURNING value", connection, transaction);
            bump.Parameters.Add(new NpgsqlParameter<long?> { TypedValue = expectedVersion, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
            if (bump.ExecuteScalar() is not long bumped)
            {
                var actual = Meta(connection, transaction, "version");
                transaction.Rollback();
                throw new DirectoryConflictException(expectedVersion ?? -1, actual);
            }

            version = bumped;
        }
        else
        {
            version = Meta(connection, transaction, "version");
        }

        using (var batch = new NpgsqlBatch(connection, transaction))
        {
            foreach (var change in changes.Changes)
            {
                batch.BatchCommands.Add(Command(change));
            }

            if (changes.AddsImportedKey)
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand("UPDATE gateway_meta SET value = 1 WHERE key = 'has_imported_keys'"));
            }

            foreach (var audit in changes.Audit)
            {
                var command = new NpgsqlBatchCommand("INSERT INTO gateway_audit (org, at, actor, action, doc) VALUES ($1, $2, $3, $4, $5)");
                command.Parameters.Add(new NpgsqlParameter { Value = audit.Org });
                command.Parameters.Add(new NpgsqlParameter { Value = audit.At.ToUnixTimeMilliseconds() });
                command.Parameters.Add(new NpgsqlParameter { Value = audit.Actor });
                command.Parameters.Add(new NpgsqlParameter { Value = audit.Action });
                command.Parameters.Add(new NpgsqlParameter { Value = Text(BsonMapping.FromAudit(audit)) });
                batch.BatchCommands.Add(command);
            }

            if (changes.TouchesDirectory)
            {
                var (keys, principals) = changes.CachedThings();
                var trace = new NpgsqlBatchCommand("INSERT INTO gateway_changes (version, key_hashes, principal_ids) VALUES ($1, $2, $3)");
                trace.Parameters.Add(new NpgsqlParameter { Value = version });
                trace.Parameters.Add(new NpgsqlParameter { Value = keys.ToArray() });
                trace.Parameters.Add(new NpgsqlParameter { Value = principals.ToArray() });
                batch.BatchCommands.Add(trace);

                // The trace is only read by replicas catching up: the last hundred thousand versions are plenty.
                if (version % 1000 == 0)
                {
                    var prune = new NpgsqlBatchCommand("DELETE FROM gateway_changes WHERE version <= $1");
                    prune.Parameters.Add(new NpgsqlParameter { Value = version - 100_000 });
                    batch.BatchCommands.Add(prune);
                }

                var notify = new NpgsqlBatchCommand("SELECT pg_notify($1, $2)");
                notify.Parameters.Add(new NpgsqlParameter { Value = Channel });
                // "version commit-time": the time lets every replica measure how late it applied the change.
                notify.Parameters.Add(new NpgsqlParameter { Value = FormattableString.Invariant($"{version} {_time.GetUtcNow().ToUnixTimeMilliseconds()}") });
                batch.BatchCommands.Add(notify);
            }

            if (batch.BatchCommands.Count > 0)
            {
                try
                {
                    batch.ExecuteNonQuery();
                }
                catch (PostgresException ex) when (ex.SqlState == UniqueViolation)
                {
                    // A name or key another replica took: re-planned against a fresh view, the plan
                    // itself answers 409 for what is now taken.
                    transaction.Rollback();
                    throw new DirectoryConflictException(expectedVersion ?? -1, -1);
                }
            }
        }

        transaction.Commit();
        return version;
    });

    public void UpdateLastUsed(IReadOnlyCollection<KeyValuePair<KeyHash, DateTimeOffset>> times)
    {
        if (times.Count == 0)
        {
            return;
        }

        Run(() =>
        {
            using var connection = Source.OpenConnection();
            using var transaction = connection.BeginTransaction();
            using var batch = new NpgsqlBatch(connection, transaction);
            foreach (var (hash, at) in times)
            {
                // Replicas flush independently: a time never moves backwards whoever writes last.
                var command = new NpgsqlBatchCommand(
                    "INSERT INTO gateway_key_usage (hash, at) VALUES ($1, $2) ON CONFLICT (hash) DO UPDATE SET at = GREATEST(gateway_key_usage.at, EXCLUDED.at)");
                command.Parameters.Add(new NpgsqlParameter { Value = hash.ToArray() });
                command.Parameters.Add(new NpgsqlParameter { Value = at.ToUnixTimeMilliseconds() });
                batch.BatchCommands.Add(command);
            }

            batch.ExecuteNonQuery();
            transaction.Commit();
            return 0;
        });
    }

    public IReadOnlyList<AuditEvent> QueryAudit(AuditQuery query) => Run(() =>
    {
        using var connection = Source.OpenConnection();
        using var command = new NpgsqlCommand(
            """
            SELECT doc FROM gateway_audit
            WHERE org = $1 AND ($2::bigint IS NULL OR at >= $2) AND ($3::bigint IS NULL OR at <= $3)
              AND ($4::text IS NULL OR actor = $4) AND ($5::text IS NULL OR action = $5)
            ORDER BY at DESC, seq DESC LIMIT $6
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = query.Org });
        command.Parameters.Add(new NpgsqlParameter<long?> { TypedValue = query.Since?.ToUnixTimeMilliseconds(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter<long?> { TypedValue = query.Until?.ToUnixTimeMilliseconds(), NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)query.Actor ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)query.Action ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = query.Limit });
        return Documents(command, BsonMapping.ToAudit);
    });

    public bool IsReadable()
    {
        try
        {
            using var connection = Source.OpenConnection();
            using var command = new NpgsqlCommand("SELECT 1", connection);
            return command.ExecuteScalar() is 1;
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            return false;
        }
    }

    public void Dispose()
    {
        ListenerSource.Dispose();
        Source.Dispose();
    }

    private static NpgsqlBatchCommand Command(Change change)
    {
        var record = change.Record;
        var kind = BsonMapping.CollectionOf(record);
        NpgsqlBatchCommand command;
        if (record is ApiKey key)
        {
            var table = kind == Collections.AccessTokens ? "gateway_access_tokens" : "gateway_keys";
            if (change.Delete)
            {
                command = new NpgsqlBatchCommand($"DELETE FROM {table} WHERE hash = $1");
                command.Parameters.Add(new NpgsqlParameter { Value = key.Hash });
                return command;
            }

            command = kind == Collections.AccessTokens
                ? new NpgsqlBatchCommand("INSERT INTO gateway_access_tokens (hash, owner_id, expires_at, doc) VALUES ($1, $2, $3, $4) ON CONFLICT (hash) DO UPDATE SET owner_id = EXCLUDED.owner_id, expires_at = EXCLUDED.expires_at, doc = EXCLUDED.doc")
                : new NpgsqlBatchCommand("INSERT INTO gateway_keys (hash, owner_id, key_id, doc) VALUES ($1, $2, $3, $4) ON CONFLICT (hash) DO UPDATE SET owner_id = EXCLUDED.owner_id, key_id = EXCLUDED.key_id, doc = EXCLUDED.doc");
            command.Parameters.Add(new NpgsqlParameter { Value = key.Hash });
            command.Parameters.Add(new NpgsqlParameter { Value = key.OwnerId });
            command.Parameters.Add(kind == Collections.AccessTokens
                ? new NpgsqlParameter { Value = (key.ExpiresAt ?? DateTimeOffset.MaxValue).ToUnixTimeMilliseconds() }
                : new NpgsqlParameter { Value = key.KeyId });
            command.Parameters.Add(new NpgsqlParameter { Value = Text(BsonMapping.ToDocument(record)) });
            return command;
        }

        var id = BsonMapping.IdOf(record).AsString;
        if (change.Delete)
        {
            command = new NpgsqlBatchCommand("DELETE FROM gateway_records WHERE kind = $1 AND id = $2");
            command.Parameters.Add(new NpgsqlParameter { Value = kind });
            command.Parameters.Add(new NpgsqlParameter { Value = id });
            return command;
        }

        var (name, email) = record switch
        {
            User u => (u.Username.ToLowerInvariant(), u.Email.ToLowerInvariant()),
            ServiceAccount s => (s.DisplayName.ToLowerInvariant(), null),
            _ => ((string?)null, (string?)null),
        };
        command = new NpgsqlBatchCommand(
            "INSERT INTO gateway_records (kind, id, doc, name_key, email_key) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, id) DO UPDATE SET doc = EXCLUDED.doc, name_key = EXCLUDED.name_key, email_key = EXCLUDED.email_key");
        command.Parameters.Add(new NpgsqlParameter { Value = kind });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        command.Parameters.Add(new NpgsqlParameter { Value = Text(BsonMapping.ToDocument(record)) });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)name ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)email ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        return command;
    }

    private ApiKey? FindOne(string sql, object value) => Run(() =>
    {
        using var connection = Source.OpenConnection();
        using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = value });
        return command.ExecuteScalar() is string doc ? BsonMapping.ToKey(Document(doc)) : null;
    });

    /// <summary>The documents in the first column of <paramref name="command"/>'s rows, mapped.</summary>
    private static IReadOnlyList<T> Documents<T>(NpgsqlCommand command, Func<BsonDocument, T> map)
    {
        using var reader = command.ExecuteReader();
        var items = new List<T>();
        while (reader.Read())
        {
            items.Add(map(Document(reader.GetString(0))));
        }

        return items;
    }

    private static long Meta(NpgsqlConnection connection, NpgsqlTransaction? transaction, string key)
    {
        using var command = new NpgsqlCommand("SELECT value FROM gateway_meta WHERE key = $1", connection, transaction);
        command.Parameters.Add(new NpgsqlParameter { Value = key });
        return command.ExecuteScalar() is long value ? value : 0;
    }

    private static string Text(BsonDocument document) => LiteDB.JsonSerializer.Serialize(document);

    private static BsonDocument Document(string text) => LiteDB.JsonSerializer.Deserialize(text).AsDocument;

    private static bool IsUnavailable(Exception ex)
        => ex is NpgsqlException or TimeoutException or SocketException or IOException or ObjectDisposedException
           || (ex is InvalidOperationException && ex.Source == "Npgsql");

    private T Run<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (Exception ex) when (ex is not DirectoryConflictException and not StoreUnavailableException && IsUnavailable(ex))
        {
            if (ex is not PostgresException)
            {
                // The server went away: every idle pooled connection is dead too. Without this, each
                // of them fails one more request (and one more reload) after the database is back.
                Source.Clear();
            }

            throw new StoreUnavailableException($"The PostgreSQL store ({Description}) failed: {ex.GetType().Name}: {ex.Message}", ex);
        }
    }
}
