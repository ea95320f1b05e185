using System.Collections.Concurrent;
using GraphQLParser;
using GraphQLParser.AST;

namespace Gateway.GraphQL;

/// <summary>
/// Parsed documents by their exact text. The SDKs send the same few operations over and over, with
/// only the variables changing, so most GraphQL requests skip the parser (about half the time and
/// allocation of reading one). Keyed by the whole query string (ordinal) and the parser options: the
/// same text under the same options always parses to the same tree, and nothing downstream changes a
/// tree, so sharing one between requests cannot carry anything from one request into another. Only
/// successful parses are kept; bounded in entries and in the size of each document, and emptied when
/// full (a flood of distinct documents costs what parsing costs, never memory).
/// </summary>
internal static class GraphQlDocumentCache
{
    public const int MaxEntries = 512;
    public const int MaxQueryLength = 16 * 1024;

    private static readonly ConcurrentDictionary<(string Query, IgnoreOptions Ignore, int MaxDepth), GraphQLDocument> Documents = new();

    public static GraphQLDocument Parse(string query, ParserOptions options)
    {
        if (query.Length > MaxQueryLength)
        {
            return Parser.Parse(query, options);
        }

        var key = (query, options.Ignore, options.MaxDepth ?? -1);
        if (Documents.TryGetValue(key, out var cached))
        {
            return cached;
        }

        var document = Parser.Parse(query, options);
        if (Documents.Count >= MaxEntries)
        {
            Documents.Clear();
        }

        Documents.TryAdd(key, document);
        return document;
    }
}
