using Npgsql;

namespace Gateway.Store.Postgres;

internal sealed partial class PostgresGatewayStore
{
    public LearnedId? FindLearnedId(string type, string id) => Run(() =>
    {
        using var connection = Source.OpenConnection();
        using var command = new NpgsqlCommand("SELECT entity, project, at FROM gateway_learned_ids WHERE type = $1 AND id = $2", connection);
        command.Parameters.Add(new NpgsqlParameter { Value = type });
        command.Parameters.Add(new NpgsqlParameter { Value = id });
        using var reader = command.ExecuteReader();
        return reader.Read() ? new LearnedId(type, id, reader.GetString(0), reader.GetString(1), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2))) : null;
    });

    // Replicas learn independently: the first binding stands, and every replica reads the one that stood.
    public LearnedId BindLearnedId(LearnedId binding) => Run(() =>
    {
        using var connection = Source.OpenConnection();
        using var command = new NpgsqlCommand(
            """
            INSERT INTO gateway_learned_ids (type, id, entity, project, at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (type, id) DO NOTHING;
            """, connection);
        command.Parameters.Add(new NpgsqlParameter { Value = binding.Type });
        command.Parameters.Add(new NpgsqlParameter { Value = binding.Id });
        command.Parameters.Add(new NpgsqlParameter { Value = binding.Entity });
        command.Parameters.Add(new NpgsqlParameter { Value = binding.Project });
        command.Parameters.Add(new NpgsqlParameter { Value = binding.LearnedAt.ToUnixTimeMilliseconds() });
        return command.ExecuteNonQuery() == 1 ? binding : null;
    }) ?? FindLearnedId(binding.Type, binding.Id) ?? binding;
}
