using System.Net.Sockets;
using Gateway.Keys;
using Gateway.Policy.Model;
using LiteDB;
using Npgsql;

namespace Gateway.Store.Postgres;

/// <summary>Writing a directory change: one transaction, the version moved only from the one planned on, each change as its statement.</summary>
internal sealed partial class PostgresGatewayStore
{
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
}
