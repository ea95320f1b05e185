using System.Collections.Frozen;
using System.Text.Json;
using Gateway.BodyScope;
using Gateway.GraphQL;
using Gateway.Policy.Directory;
using Gateway.Policy.Model;
using GraphQLParser.AST;
using GraphQLParser.Exceptions;
using GraphQLParser;

namespace Gateway.GraphQL.Scope;

internal static partial class GraphQlScopeExtractor
{
    internal enum Role : byte
    {
        Other,
        Entity,
        Project,

        /// <summary>A variable of a scalar or enum type (by its definition in the operation): a leaf value, never walked for input fields.</summary>
        Leaf,
    }

    internal enum ValueKind
    {
        Null,
        String,
        Object,
        List,
        Variable,
        Other,
    }

    /// <summary>
    /// A GraphQL literal, a variable reference, or a JSON value from "variables": walked the same way.
    /// Text is materialized only for the values that name an entity or project.
    /// </summary>
    internal readonly struct Value
    {
        private readonly GraphQLValue? _ast;
        private readonly JsonElement _json;
        private readonly bool _isJson;

        private Value(ValueKind kind, GraphQLValue? ast, JsonElement json, bool isJson)
        {
            Kind = kind;
            _ast = ast;
            _json = json;
            _isJson = isJson;
        }

        public static readonly Value Null = new(ValueKind.Null, null, default, false);

        public ValueKind Kind { get; }

        public ReadOnlySpan<char> Text => _isJson ? _json.GetString().AsSpan() : ((GraphQLStringValue)_ast!).Value.Span;

        /// <summary>The text as a string, made once (what is kept: an entity, a project, an id).</summary>
        public string String => _isJson ? _json.GetString()! : ((GraphQLStringValue)_ast!).Value.Span.ToString();

        public ROM VariableName => ((GraphQLVariable)_ast!).Name.Value;

        public static Value Of(GraphQLValue value) => value switch
        {
            GraphQLStringValue => new Value(ValueKind.String, value, default, false),
            GraphQLNullValue => Null,
            GraphQLVariable => new Value(ValueKind.Variable, value, default, false),
            GraphQLObjectValue => new Value(ValueKind.Object, value, default, false),
            GraphQLListValue => new Value(ValueKind.List, value, default, false),
            _ => new Value(ValueKind.Other, value, default, false),
        };

        public static Value Of(JsonElement value) => value.ValueKind switch
        {
            JsonValueKind.String => new Value(ValueKind.String, null, value, true),
            JsonValueKind.Null or JsonValueKind.Undefined => Null,
            JsonValueKind.Object => new Value(ValueKind.Object, null, value, true),
            JsonValueKind.Array => new Value(ValueKind.List, null, value, true),
            _ => new Value(ValueKind.Other, null, value, true),
        };

        public int MemberCount => _isJson ? _json.GetPropertyCount() : ((GraphQLObjectValue)_ast!).Fields?.Count ?? 0;

        /// <summary>The members in order, into an array of at least <see cref="MemberCount"/>.</summary>
        public void CopyMembers((ROM Name, Value Value)[] into)
        {
            var i = 0;
            if (_isJson)
            {
                foreach (var property in _json.EnumerateObject())
                {
                    into[i++] = (property.Name.AsMemory(), Of(property.Value));
                }
            }
            else if (((GraphQLObjectValue)_ast!).Fields is { } fields)
            {
                foreach (var field in fields)
                {
                    into[i++] = (field.Name.Value, Of(field.Value));
                }
            }
        }

        /// <summary>The first (or, with <paramref name="last"/>, the last) member of that name.</summary>
        public bool TryGetMember(string name, bool last, out Value member)
        {
            member = Null;
            var found = false;
            if (_isJson)
            {
                foreach (var property in _json.EnumerateObject())
                {
                    if (property.NameEquals(name))
                    {
                        member = Of(property.Value);
                        found = true;
                        if (!last)
                        {
                            return true;
                        }
                    }
                }
            }
            else if (((GraphQLObjectValue)_ast!).Fields is { } fields)
            {
                foreach (var field in fields)
                {
                    if (field.Name.Value.Span.SequenceEqual(name))
                    {
                        member = Of(field.Value);
                        found = true;
                        if (!last)
                        {
                            return true;
                        }
                    }
                }
            }

            return found;
        }

        public IEnumerable<Value> Items()
        {
            if (_isJson)
            {
                foreach (var item in _json.EnumerateArray())
                {
                    yield return Of(item);
                }
            }
            else if (((GraphQLListValue)_ast!).Values is { } values)
            {
                foreach (var item in values)
                {
                    yield return Of(item);
                }
            }
        }
    }
}
