using Npgsql;

namespace Gateway.Store.Postgres;

/// <summary>
/// Versioned migrations, applied at start under an advisory lock: one replica migrates, the others
/// wait for it and find nothing left to do. A database migrated by a newer gateway is refused (its
/// tables may mean something this version does not know).
/// </summary>
internal static class PostgresSchema
{
    // Arbitrary, fixed: the advisory lock all replicas of this product take to migrate.
    private const long MigrationLockId = 0x6777_5f73_746f_7265;

    /// <summary>Migration N (1-based) takes the schema from version N-1 to N. Append only; never edit a shipped one.</summary>
    private static readonly string[] Migrations =
    [
        """
        CREATE TABLE gateway_meta (key text PRIMARY KEY, value bigint NOT NULL);
        INSERT INTO gateway_meta (key, value) VALUES ('version', 0), ('has_imported_keys', 0);
        -- Organizations, teams, users, service accounts, projects, grants, issuers: one row per record.
        -- name_key/email_key carry the lower-cased unique names (users' usernames and emails, service
        -- accounts' display names), so two replicas racing to create one name cannot both succeed.
        CREATE TABLE gateway_records (
            kind text NOT NULL, id text NOT NULL, doc text NOT NULL, name_key text, email_key text,
            PRIMARY KEY (kind, id));
        CREATE UNIQUE INDEX gateway_records_name ON gateway_records (kind, name_key) WHERE name_key IS NOT NULL;
        CREATE UNIQUE INDEX gateway_records_email ON gateway_records (kind, email_key) WHERE email_key IS NOT NULL;
        CREATE TABLE gateway_keys (hash bytea PRIMARY KEY, key_id text NOT NULL UNIQUE, owner_id text NOT NULL, doc text NOT NULL);
        CREATE INDEX gateway_keys_owner ON gateway_keys (owner_id);
        CREATE TABLE gateway_access_tokens (hash bytea PRIMARY KEY, owner_id text NOT NULL, expires_at bigint NOT NULL, doc text NOT NULL);
        CREATE INDEX gateway_access_tokens_owner ON gateway_access_tokens (owner_id);
        CREATE INDEX gateway_access_tokens_expiry ON gateway_access_tokens (expires_at);
        CREATE TABLE gateway_key_usage (hash bytea PRIMARY KEY, at bigint NOT NULL);
        CREATE TABLE gateway_audit (
            seq bigserial PRIMARY KEY, org text NOT NULL, at bigint NOT NULL, actor text NOT NULL, action text NOT NULL, doc text NOT NULL);
        CREATE INDEX gateway_audit_org_at ON gateway_audit (org, at DESC, seq DESC);
        """,
        """
        -- What each directory version changed that replicas cache: key hashes and principal ids. A
        -- replica catching up invalidates just these instead of emptying its caches.
        CREATE TABLE gateway_changes (version bigint PRIMARY KEY, key_hashes bytea[] NOT NULL, principal_ids text[] NOT NULL);
        """,
        """
        -- Ids of objects the upstream created in authorized requests (sweep agents, run-queue items,
        -- artifact manifests), bound to the request's project: the first binding of an id stands.
        CREATE TABLE gateway_learned_ids (type text NOT NULL, id text NOT NULL, entity text NOT NULL, project text NOT NULL, at bigint NOT NULL,
            PRIMARY KEY (type, id));
        """,
        """
        -- Requests per principal, key, UTC hour and outcome, added to in batches by every replica: the
        -- cluster-wide counts that usage reports and daily quotas read.
        CREATE TABLE gateway_usage (hour bigint NOT NULL, principal_id text NOT NULL, key_id text NOT NULL, outcome text NOT NULL, count bigint NOT NULL,
            PRIMARY KEY (principal_id, hour, key_id, outcome));
        CREATE INDEX gateway_usage_hour ON gateway_usage (hour);
        """,
    ];

    public static int Latest => Migrations.Length;

    /// <summary>Brings the database to <see cref="Latest"/>; returns the migrations applied (0 when up to date).</summary>
    public static int Migrate(NpgsqlDataSource source)
    {
        using var connection = source.OpenConnection();
        Execute(connection, null, $"SELECT pg_advisory_lock({MigrationLockId})");
        try
        {
            Execute(connection, null, "CREATE TABLE IF NOT EXISTS gateway_schema (version int NOT NULL)");
            var current = CurrentVersion(connection);
            if (current > Latest)
            {
                throw new StoreUnavailableException(
                    $"The database's schema is at version {current}, newer than this gateway knows ({Latest}): it was migrated by a newer gateway. Run that version, or restore a backup taken before the upgrade.");
            }

            for (var version = current + 1; version <= Latest; version++)
            {
                using var transaction = connection.BeginTransaction();
                Execute(connection, transaction, Migrations[version - 1]);
                Execute(connection, transaction, "DELETE FROM gateway_schema");
                Execute(connection, transaction, $"INSERT INTO gateway_schema (version) VALUES ({version})");
                transaction.Commit();
            }

            return Latest - current;
        }
        finally
        {
            Execute(connection, null, $"SELECT pg_advisory_unlock({MigrationLockId})");
        }
    }

    private static int CurrentVersion(NpgsqlConnection connection)
    {
        using var command = new NpgsqlCommand("SELECT max(version) FROM gateway_schema", connection);
        return command.ExecuteScalar() is int version ? version : 0;
    }

    private static void Execute(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql)
    {
        using var command = new NpgsqlCommand(sql, connection, transaction);
        command.ExecuteNonQuery();
    }
}
