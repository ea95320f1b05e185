using Npgsql;

namespace Gateway.Store.Postgres;

internal sealed partial class PostgresGatewayStore
{
    // Replicas add to the same rows: counts are summed by the database, never read and written back.
    public void AddUsage(IReadOnlyCollection<UsageCount> counts)
    {
        if (counts.Count == 0)
        {
            return;
        }

        Run(() =>
        {
            using var connection = Source.OpenConnection();
            using var command = new NpgsqlCommand(
                """
                INSERT INTO gateway_usage (hour, principal_id, key_id, outcome, count)
                SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[])
                ON CONFLICT (principal_id, hour, key_id, outcome) DO UPDATE SET count = gateway_usage.count + EXCLUDED.count
                """, connection);
            command.Parameters.Add(new NpgsqlParameter { Value = counts.Select(c => c.Hour.ToUnixTimeMilliseconds()).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = counts.Select(c => c.PrincipalId).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = counts.Select(c => c.KeyId).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = counts.Select(c => c.Outcome).ToArray() });
            command.Parameters.Add(new NpgsqlParameter { Value = counts.Select(c => c.Count).ToArray() });
            return command.ExecuteNonQuery();
        });
    }

    public IReadOnlyList<UsageCount> QueryUsage(string principalId, string? keyId, DateTimeOffset since) => Run(() =>
    {
        using var connection = Source.OpenConnection();
        using var command = new NpgsqlCommand(
            "SELECT hour, key_id, outcome, count FROM gateway_usage WHERE principal_id = $1 AND hour >= $2 AND ($3::text IS NULL OR key_id = $3) ORDER BY hour", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = principalId });
        command.Parameters.Add(new NpgsqlParameter { Value = since.ToUnixTimeMilliseconds() });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)keyId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        using var reader = command.ExecuteReader();
        var counts = new List<UsageCount>();
        while (reader.Read())
        {
            counts.Add(new UsageCount(DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(0)), principalId, reader.GetString(1), reader.GetString(2), reader.GetInt64(3)));
        }

        return (IReadOnlyList<UsageCount>)counts;
    });

    public IReadOnlyList<UsageCount> AllowedSince(DateTimeOffset since) => Run(() =>
    {
        using var connection = Source.OpenConnection();
        using var command = new NpgsqlCommand(
            "SELECT principal_id, key_id, sum(count)::bigint FROM gateway_usage WHERE hour >= $1 AND outcome = $2 GROUP BY principal_id, key_id", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = since.ToUnixTimeMilliseconds() });
        command.Parameters.Add(new NpgsqlParameter { Value = Usage.UsageCounters.Allowed });
        using var reader = command.ExecuteReader();
        var counts = new List<UsageCount>();
        while (reader.Read())
        {
            counts.Add(new UsageCount(since, reader.GetString(0), reader.GetString(1), Usage.UsageCounters.Allowed, reader.GetInt64(2)));
        }

        return (IReadOnlyList<UsageCount>)counts;
    });

    public int PurgeUsage(DateTimeOffset before) => Run(() =>
    {
        using var connection = Source.OpenConnection();
        using var command = new NpgsqlCommand("DELETE FROM gateway_usage WHERE hour < $1", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = before.ToUnixTimeMilliseconds() });
        return command.ExecuteNonQuery();
    });
}
