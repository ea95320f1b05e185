using System.Collections.Frozen;
using GraphQL.Types;
using GraphQLParser.AST;

namespace Gateway.GraphQL.Schema;

/// <summary>One field of the schema as the scope walk needs it: the named type it returns and whether that is a leaf.</summary>
internal sealed record SchemaField(string Type, string Name, string ReturnType, bool IsLeaf, bool HasIdArgument = false);

/// <summary>
/// The GraphQL schema of a route: the shipped W&amp;B SDL and the operator's extensions, loaded with
/// graphql-dotnet's schema-first builder (which the spec validation runs on) and indexed by type and
/// field for the scope walk. Custom scalars accept any literal: the gateway validates shapes, the
/// upstream owns values. Abstract types never resolve: nothing is executed here.
/// </summary>
internal sealed class ScopeSchema
{
    // Schemas by their SDL text: every GraphQL route of a configuration, and every reload, shares one
    // (building one is the costly part of loading rules). Immutable once built; a few entries at most.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, ScopeSchema> Built = new(StringComparer.Ordinal);

    private static readonly FrozenSet<string> BuiltinScalars = FrozenSet.ToFrozenSet(["String", "Int", "Float", "Boolean", "ID"], StringComparer.Ordinal);

    private ScopeSchema(ISchema schema, FrozenDictionary<string, FrozenDictionary<string, SchemaField>> fields, FrozenDictionary<string, string[]> possibleTypes, FrozenSet<string> leafTypes)
    {
        GraphSchema = schema;
        LeafTypes = leafTypes;
        Fields = fields;
        PossibleTypes = possibleTypes;
    }

    public ISchema GraphSchema { get; }

    /// <summary>Object and interface types by name, each with its fields by name.</summary>
    public FrozenDictionary<string, FrozenDictionary<string, SchemaField>> Fields { get; }

    /// <summary>Interfaces and unions: the object types a value of them can be.</summary>
    public FrozenDictionary<string, string[]> PossibleTypes { get; }

    /// <summary>
    /// Scalars and enums: a variable of such a type holds a leaf value (spec validation keeps it in leaf
    /// positions), which the upstream coerces as that scalar and never reads as input fields.
    /// </summary>
    public FrozenSet<string> LeafTypes { get; }

    public bool TryGetField(string type, string field, out SchemaField result)
    {
        result = null!;
        return Fields.TryGetValue(type, out var fields) && fields.TryGetValue(field, out result!);
    }

    /// <summary>Builds the schema from SDL sources (name, text), in order; null with every problem in <paramref name="errors"/>.</summary>
    public static ScopeSchema? Load(string routeId, IReadOnlyList<(string Source, string Text)> sources, List<string> errors)
    {
        var key = string.Join("\u0000", sources.Select(s => s.Text));
        if (Built.TryGetValue(key, out var built))
        {
            return built;
        }

        var loaded = Build(routeId, sources, errors);
        if (loaded is not null)
        {
            if (Built.Count >= 8)
            {
                Built.Clear();
            }

            Built[key] = loaded;
        }

        return loaded;
    }

    private static ScopeSchema? Build(string routeId, IReadOnlyList<(string Source, string Text)> sources, List<string> errors)
    {
        var before = errors.Count;
        var scalars = new HashSet<string>(StringComparer.Ordinal);
        var abstracts = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (source, text) in sources)
        {
            try
            {
                var document = GraphQLParser.Parser.Parse(text, new GraphQLParser.ParserOptions { Ignore = GraphQLParser.IgnoreOptions.All });
                foreach (var definition in document.Definitions)
                {
                    switch (definition)
                    {
                        case GraphQLScalarTypeDefinition scalar when !BuiltinScalars.Contains(scalar.Name.StringValue):
                            scalars.Add(scalar.Name.StringValue);
                            break;
                        case GraphQLUnionTypeDefinition or GraphQLInterfaceTypeDefinition:
                            abstracts.Add(((GraphQLTypeDefinition)definition).Name.StringValue);
                            break;
                        case GraphQLOperationDefinition or GraphQLFragmentDefinition:
                            errors.Add($"Route '{routeId}': GraphQL schema '{source}' holds an operation or fragment; a schema file holds type definitions only.");
                            break;
                    }
                }
            }
            catch (Exception ex) when (ex is GraphQLParser.Exceptions.GraphQLParserException or IndexOutOfRangeException or ArgumentException)
            {
                errors.Add($"Route '{routeId}': GraphQL schema '{source}' is not valid SDL ({ex.Message.Split('\n')[0]}).");
            }
        }

        if (errors.Count > before)
        {
            return null;
        }

        ISchema schema;
        try
        {
            schema = global::GraphQL.Types.Schema.For(string.Join("\n", sources.Select(s => s.Text)), builder =>
            {
                foreach (var name in abstracts)
                {
                    builder.Types.For(name).ResolveType = static _ => null!;
                }
            });
            foreach (var name in scalars)
            {
                schema.RegisterType(new OpaqueScalar(name));
            }

            schema.Initialize();
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or NotSupportedException or GraphQLParser.Exceptions.GraphQLParserException)
        {
            errors.Add($"Route '{routeId}': the GraphQL schema ({string.Join(", ", sources.Select(s => s.Source))}) does not load: {ex.Message}");
            return null;
        }

        var fields = new Dictionary<string, FrozenDictionary<string, SchemaField>>(StringComparer.Ordinal);
        var possible = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var leaves = new HashSet<string>(StringComparer.Ordinal);
        foreach (var type in schema.AllTypes)
        {
            if (type is ScalarGraphType or EnumerationGraphType)
            {
                leaves.Add(type.Name);
            }

            if (type.Name.StartsWith("__", StringComparison.Ordinal))
            {
                continue;
            }

            if (type is IComplexGraphType complex and (IObjectGraphType or IInterfaceGraphType))
            {
                fields[type.Name] = complex.Fields.ToFrozenDictionary(
                    f => f.Name,
                    f =>
                    {
                        var named = global::GraphQL.GraphQLExtensions.GetNamedType(f.ResolvedType!);
                        var idArgument = f.Arguments?.Any(a => global::GraphQL.GraphQLExtensions.GetNamedType(a.ResolvedType!).Name == "ID") == true;
                        return new SchemaField(type.Name, f.Name, named.Name, named is ScalarGraphType or EnumerationGraphType, idArgument);
                    },
                    StringComparer.Ordinal);
            }

            if (type is IAbstractGraphType abstractType)
            {
                possible[type.Name] = abstractType.PossibleTypes.Select(p => p.Name).ToArray();
            }
        }

        return new ScopeSchema(schema, fields.ToFrozenDictionary(StringComparer.Ordinal), possible.ToFrozenDictionary(StringComparer.Ordinal), leaves.ToFrozenSet(StringComparer.Ordinal));
    }

    /// <summary>A custom scalar (JSONString, DateTime...): any literal or value is accepted as is.</summary>
    private sealed class OpaqueScalar : ScalarGraphType
    {
        public OpaqueScalar(string name) => Name = name;

        public override object? ParseLiteral(GraphQLValue value) => value;

        public override bool CanParseLiteral(GraphQLValue value) => true;

        public override object? ParseValue(object? value) => value;

        public override bool CanParseValue(object? value) => true;
    }
}
