using Gateway.GraphQL.Scope;
using System.Text.Json;
using Gateway.BodyScope;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace Gateway.GraphQL;

/// <summary>
/// GraphQL parameters in the URL. The GraphQL-over-HTTP spec has servers read <c>query</c>,
/// <c>variables</c>, <c>operationName</c> and <c>extensions</c> from the URL on GET, and some server
/// libraries read URL parameters before (or instead of) the body on POST too (express-graphql and
/// graphql-http merge both; Strawberry's and Ariadne's GET views read only the URL). So a POST that
/// names one of them in its URL is refused, and a GET is refused unless the route enables it — then
/// the URL is its only source: each parameter at most once, in exact case, no body, no mutation.
/// Pairs are read raw (ASP.NET's query collection merges keys case-insensitively, which would hide
/// <c>?query=a&amp;Query=b</c>).
/// </summary>
internal static class GraphQlUrl
{
    /// <summary>True when the query string names a GraphQL parameter in any case.</summary>
    public static bool HasParameters(QueryString query)
    {
        if (!query.HasValue)
        {
            return false;
        }

        foreach (var pair in new QueryStringEnumerable(query.Value))
        {
            var name = pair.DecodeName().Span;
            foreach (var known in GraphQlScopeExtractor.EnvelopeKeys)
            {
                if (name.SequenceEqual(known) || PropertyFolding.IsVariantOf(name, known))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The JSON envelope a GET's URL stands for, to be analyzed exactly like a POST body.</summary>
    public static byte[] Envelope(QueryString query)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (query.HasValue)
        {
            foreach (var pair in new QueryStringEnumerable(query.Value))
            {
                var name = pair.DecodeName().ToString();
                var known = Array.IndexOf(GraphQlScopeExtractor.EnvelopeKeys, name) >= 0;
                if (!known && GraphQlScopeExtractor.EnvelopeKeys.Any(k => PropertyFolding.IsVariantOf(name, k)))
                {
                    throw new BodyScopeException(400, BodyScopeCodes.AmbiguousProperty, $"'{name}' differs from a GraphQL parameter only in case.");
                }

                if (known && !values.TryAdd(name, pair.DecodeValue().ToString()))
                {
                    throw new BodyScopeException(400, BodyScopeCodes.AmbiguousProperty, $"'{name}' is given more than once.");
                }
            }
        }

        if (!values.TryGetValue("query", out var document))
        {
            throw new BodyScopeException(400, BodyScopeCodes.InvalidGraphQl, "A GraphQL GET carries its document in ?query=.");
        }

        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("query", document);
            if (values.TryGetValue("operationName", out var operationName))
            {
                writer.WriteString("operationName", operationName);
            }

            foreach (var name in (string[])["variables", "extensions"])
            {
                if (values.TryGetValue(name, out var json))
                {
                    writer.WritePropertyName(name);
                    try
                    {
                        writer.WriteRawValue(json, skipInputValidation: false);
                    }
                    catch (JsonException)
                    {
                        throw new BodyScopeException(400, BodyScopeCodes.InvalidGraphQl, $"'{name}' in the URL is not valid JSON.");
                    }
                }
            }

            writer.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
