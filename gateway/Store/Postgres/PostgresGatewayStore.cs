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
