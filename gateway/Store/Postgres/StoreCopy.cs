using Gateway.Keys;
using Gateway.Policy.Model;

namespace Gateway.Store.Postgres;

/// <summary>
/// Copies an embedded LiteDB store into an empty PostgreSQL database: the directory, keys and access
/// tokens as stored (hashes only: nothing is re-keyed, every client keeps working), last-used times,
/// the audit log (the directory, keys and audit in one transaction) and the ids learned from answers. A database that already holds a directory is refused.
/// </summary>
internal static class StoreCopy
{
    public sealed record Counts(int Records, int Keys, int AccessTokens, int Audit, int LastUsed, int LearnedIds);

    public static Counts Run(LiteDbGatewayStore source, PostgresGatewayStore target, DateTimeOffset now)
    {
        var existing = target.LoadDirectory();
        if (existing.Version != 0 || existing.Organizations.Count > 0)
        {
            throw new InvalidOperationException($"The target database already holds a directory (version {existing.Version}, {existing.Organizations.Count} organization(s)); copy only into an empty database.");
        }

        var data = source.LoadDirectory();
        var changes = new ChangeSet();
        var records = 0;
        foreach (var record in data.Organizations.Cast<object>().Concat(data.Teams).Concat(data.Users).Concat(data.ServiceAccounts)
                     .Concat(data.Projects).Concat(data.Grants).Concat(data.Issuers))
        {
            changes.Put(record);
            records++;
        }

        var keys = source.Export(Collections.Keys).Select(BsonMapping.ToKey).ToList();
        // Expired access tokens are dead weight: the purge would delete them anyway.
        var tokens = source.Export(Collections.AccessTokens).Select(BsonMapping.ToKey).Where(t => t.ExpiresAt is null || t.ExpiresAt > now).ToList();
        foreach (var key in keys.Concat(tokens))
        {
            changes.Put(key);
        }

        var audit = source.Export(Collections.Audit).Select(BsonMapping.ToAudit).OrderBy(a => a.At).ToList();
        foreach (var entry in audit)
        {
            changes.Record(entry);
        }

        target.Commit(changes, expectedVersion: 0);
        var usage = source.Export(Collections.KeyUsage)
            .Select(d => new KeyValuePair<KeyHash, DateTimeOffset>(KeyHash.FromBytes(d["_id"].AsBinary), DateTimeOffset.FromUnixTimeMilliseconds(d["at"].AsInt64)))
            .ToList();
        target.UpdateLastUsed(usage);
        // Ids bound to projects from the upstream's answers: without them, by-id requests on agents, queue
        // items and manifests created before the move would be refused after it.
        var learned = source.Export(Collections.LearnedIds).Select(LiteDbGatewayStore.ToLearnedId).ToList();
        foreach (var binding in learned)
        {
            target.BindLearnedId(binding);
        }

        return new Counts(records, keys.Count, tokens.Count, audit.Count, usage.Count, learned.Count);
    }
}
