using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text.Json;
using GraphQLParser;
using GraphQLParser.AST;

namespace Gateway.GraphQL;

/// <summary>
/// Parsed documents by their exact text. The SDKs send the same few operations over and over, with
/// only the variables changing, so most GraphQL requests skip the parser (about half the time and
/// allocation of reading one). Keyed by the query's raw JSON bytes, escapes and all, and the parser
/// options: equal raw bytes are the same text, the same text under the same options always parses to
/// the same tree, and nothing downstream changes a tree, so sharing one between requests cannot carry
/// anything from one request into another. A hit needs no copy of the query at all (it is not even
/// unescaped into a string); the same text escaped differently is merely a second entry. Only
/// successful parses are kept; bounded in entries and in the size of each document, and emptied when
/// full (a flood of distinct documents costs what parsing costs, never memory).
/// </summary>
internal static class GraphQlDocumentCache
{
    public const int MaxEntries = 512;
    public const int MaxQueryLength = 16 * 1024;

    // One table per parser options and rule table (a route's schema and depth limit: a handful; a reload
    // brings new rule tables, and the old ones go when the cache is next emptied).
    private static readonly ConcurrentDictionary<(IgnoreOptions Ignore, int MaxDepth, GraphQlRuleTable? Rules), ConcurrentDictionary<byte[], Entry>> Tables = new();
    private static int _count;

    // A document that passed (with its plan), or the refusal it got: both depend on the text and the
    // rules alone, so a document sent again is refused again at the cost of a lookup. The type walk and
    // the spec validation cost hundreds of microseconds; a client repeating a refused document (a
    // misconfigured job in a retry loop) would otherwise pay them, and make the gateway pay them, each time.
    private sealed record Entry(GraphQLDocument? Document, Plan.DocumentPlan Plan, BodyScope.BodyScopeException? Refusal);


    /// <summary>
    /// The document in <paramref name="query"/>, a JSON string; throws what the parser throws, and a
    /// <see cref="BodyScope.BodyScopeException"/> for a document breaking the uniqueness rules, or, under
    /// <paramref name="rules"/>, the type walk or the specification's validation. Both outcomes are
    /// cached (what the parser itself throws is not): a hit costs one lookup.
    /// </summary>
    public static GraphQLDocument Parse(JsonElement query, ParserOptions options, GraphQlRuleTable? rules = null) => Parse(query, options, rules, out _);

    /// <summary>As <see cref="Parse(JsonElement, ParserOptions, GraphQlRuleTable?)"/>, with what each request of the document must still check.</summary>
    public static GraphQLDocument Parse(JsonElement query, ParserOptions options, GraphQlRuleTable? rules, out Plan.DocumentPlan plan)
    {
        var raw = JsonMarshal.GetRawUtf8Value(query);
        if (raw.Length > MaxQueryLength)
        {
            var large = Parser.Parse(query.GetString()!, options);
            plan = Check(large, rules);
            return large;
        }

        var table = Tables.GetOrAdd((options.Ignore, options.MaxDepth ?? -1, rules), static _ => new ConcurrentDictionary<byte[], Entry>(RawText.Comparer));
        if (table.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(raw, out var cached))
        {
            if (cached.Refusal is { } refusal)
            {
                throw new BodyScope.BodyScopeException(refusal.Status, refusal.Code, refusal.Message);
            }

            plan = cached.Plan;
            return cached.Document!;
        }

        var document = Parser.Parse(query.GetString()!, options);
        Entry entry;
        try
        {
            plan = Check(document, rules);
            if (rules is not null)
            {
                plan = plan with { Shared = true }; // kept with the document: its compiled argument plans are kept too
            }

            entry = new Entry(document, plan, null);
        }
        catch (BodyScope.BodyScopeException ex)
        {
            Add(table, raw, new Entry(null, Plan.DocumentPlan.Empty, ex));
            throw;
        }

        Add(table, raw, entry);
        return document;
    }

    /// <summary>The refusal cached for this document text, if any (for tests of the cache).</summary>
    internal static BodyScope.BodyScopeException? CachedRefusal(JsonElement query, ParserOptions options, GraphQlRuleTable? rules)
        => Tables.TryGetValue((options.Ignore, options.MaxDepth ?? -1, rules), out var table)
           && table.GetAlternateLookup<ReadOnlySpan<byte>>().TryGetValue(JsonMarshal.GetRawUtf8Value(query), out var entry) ? entry.Refusal : null;

    private static void Add(ConcurrentDictionary<byte[], Entry> table, ReadOnlySpan<byte> raw, Entry entry)
    {
        if (Interlocked.Increment(ref _count) > MaxEntries)
        {
            foreach (var entries in Tables.Values)
            {
                entries.Clear();
            }

            Interlocked.Exchange(ref _count, 1);
        }

        table.TryAdd(raw.ToArray(), entry);
    }

    private static Plan.DocumentPlan Check(GraphQLDocument document, GraphQlRuleTable? rules)
    {
        DocumentUniqueness.Check(document);
        if (rules is null)
        {
            return Plan.DocumentPlan.Empty;
        }

        var plan = Plan.TypeWalk.Check(document, rules);
        Validation.SpecValidation.Check(document, rules.Schema);
        return plan;
    }

    // Ordinal bytes with a randomized hash (the query text is the client's: no chosen collisions).
    private sealed class RawText : IEqualityComparer<byte[]>, IAlternateEqualityComparer<ReadOnlySpan<byte>, byte[]>
    {
        public static readonly RawText Comparer = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] bytes) => Hash(bytes);

        public bool Equals(ReadOnlySpan<byte> alternate, byte[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<byte> alternate) => Hash(alternate);

        public byte[] Create(ReadOnlySpan<byte> alternate) => alternate.ToArray();

        private static int Hash(ReadOnlySpan<byte> bytes)
        {
            // Marvin over the bytes read as chars, plus the odd last byte and the length.
            var hash = string.GetHashCode(MemoryMarshal.Cast<byte, char>(bytes));
            return (bytes.Length & 1) == 0 ? HashCode.Combine(hash, bytes.Length) : HashCode.Combine(hash, bytes[^1], bytes.Length);
        }
    }
}
