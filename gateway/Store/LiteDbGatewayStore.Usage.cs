using LiteDB;

namespace Gateway.Store;

internal sealed partial class LiteDbGatewayStore
{
    // One document per (principal, hour, key, outcome), keyed by them joined with '|' (none of them holds one).
    public void AddUsage(IReadOnlyCollection<UsageCount> counts)
    {
        if (counts.Count == 0)
        {
            return;
        }

        InTransaction(() =>
        {
            var usage = Col(Collections.Usage);
            foreach (var count in counts)
            {
                var hour = count.Hour.ToUnixTimeMilliseconds();
                var id = new BsonValue($"{count.PrincipalId}|{hour}|{count.KeyId}|{count.Outcome}");
                if (usage.FindById(id) is { } existing)
                {
                    existing["count"] = existing["count"].AsInt64 + count.Count;
                    usage.Update(existing);
                }
                else
                {
                    usage.Insert(new BsonDocument
                    {
                        ["_id"] = id, ["hour"] = hour, ["principalId"] = count.PrincipalId, ["keyId"] = count.KeyId,
                        ["outcome"] = count.Outcome, ["count"] = count.Count,
                    });
                }
            }
        });
    }

    public IReadOnlyList<UsageCount> QueryUsage(string principalId, string? keyId, DateTimeOffset since) => Read(() =>
        (IReadOnlyList<UsageCount>)Col(Collections.Usage).Find(Query.EQ("principalId", principalId))
            .Where(d => d["hour"].AsInt64 >= since.ToUnixTimeMilliseconds() && (keyId is null || d["keyId"].AsString == keyId))
            .Select(ToUsage).OrderBy(u => u.Hour).ToList());

    public IReadOnlyList<UsageCount> AllowedSince(DateTimeOffset since) => Read(() =>
        (IReadOnlyList<UsageCount>)Col(Collections.Usage).Find(Query.GTE("hour", since.ToUnixTimeMilliseconds()))
            .Where(d => d["outcome"].AsString == Usage.UsageCounters.Allowed)
            .Select(ToUsage).ToList());

    public int PurgeUsage(DateTimeOffset before)
    {
        var deleted = 0;
        InTransaction(() => deleted = Col(Collections.Usage).DeleteMany(Query.LT("hour", before.ToUnixTimeMilliseconds())));
        return deleted;
    }

    private static UsageCount ToUsage(BsonDocument d) => new(DateTimeOffset.FromUnixTimeMilliseconds(d["hour"].AsInt64), d["principalId"].AsString,
        d["keyId"].AsString, d["outcome"].AsString, d["count"].AsInt64);
}
