using LiteDB;

namespace Gateway.Store;

internal sealed partial class LiteDbGatewayStore
{
    // One small document per learned id, keyed "type/id" (ordinal: the key is built, not matched by collation).
    public LearnedId? FindLearnedId(string type, string id) => Read(() =>
        Col(Collections.LearnedIds).FindById(LearnedKey(type, id)) is { } doc ? FromDocument(type, id, doc) : null);

    public LearnedId BindLearnedId(LearnedId binding)
    {
        LearnedId? stored = null;
        InTransaction(() =>
        {
            var learned = Col(Collections.LearnedIds);
            var key = LearnedKey(binding.Type, binding.Id);
            if (learned.FindById(key) is { } existing)
            {
                stored = FromDocument(binding.Type, binding.Id, existing);
                return;
            }

            learned.Insert(new BsonDocument
            {
                ["_id"] = key,
                ["entity"] = binding.Entity,
                ["project"] = binding.Project,
                ["at"] = binding.LearnedAt.ToUnixTimeMilliseconds(),
            });
        });
        return stored ?? binding;
    }

    private static BsonValue LearnedKey(string type, string id) => new(type + "/" + id);

    /// <summary>A stored binding as a record (its key is "type/id"; a type never holds a '/').</summary>
    public static LearnedId ToLearnedId(BsonDocument doc)
    {
        var key = doc["_id"].AsString;
        var slash = key.IndexOf('/');
        return FromDocument(key[..slash], key[(slash + 1)..], doc);
    }

    private static LearnedId FromDocument(string type, string id, BsonDocument doc)
        => new(type, id, doc["entity"].AsString, doc["project"].AsString, DateTimeOffset.FromUnixTimeMilliseconds(doc["at"].AsInt64));
}
