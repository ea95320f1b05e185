using System.Collections.Frozen;
using System.Text.Json;

namespace Gateway.GraphQL.Schema;

/// <summary>What the objects of a type belong to.</summary>
internal enum TypeScopeKind
{
    /// <summary>Not project data (users, organizations, server info...): leaf fields are free, object fields leave the scope.</summary>
    Free,
    /// <summary>Data of one project (Project, Run, Artifact...): every field stays in, and needs, the established scope.</summary>
    Project,
    /// <summary>An entity's own data: like <see cref="Project"/>, at the entity's level.</summary>
    Entity,
    /// <summary>Structure only (connections, edges, payloads): every field stays in the parent's scope.</summary>
    Plumbing,
}

/// <summary>What one <c>Type.field</c> does to the scope.</summary>
internal enum FieldScopeKind
{
    /// <summary>A leaf of a scope-bound type: allowed only where the scope is established.</summary>
    Inherit,
    /// <summary>Allowed anywhere; an object below it starts with no scope (names, ids of the object itself).</summary>
    Free,
    /// <summary>An object of the same owner (Project.runs, Run.project): needs the scope, passes it down.</summary>
    Same,
    /// <summary>An object of another or unknown owner (Run.user, User.teams): needs the scope; below it, only free fields.</summary>
    Leave,
    /// <summary>The entity of a project (Project.entity): its free fields only, never the entity's own data.</summary>
    EntityOf,
    /// <summary>Enters a project of the entity in scope by argument (Entity.project(name:)): needs the entity itself.</summary>
    Enter,
    /// <summary>Never forwarded (secrets, unfiltered listings).</summary>
    Refused,
    /// <summary>Answered by the gateway directly under <c>viewer</c> (the caller's own key ids); refused anywhere else.</summary>
    ViewerOnly,
    /// <summary>
    /// An object that may belong to another project (the sequence of an artifact linked into a registry):
    /// below it only its names (<c>id</c>, <c>name</c>, <c>entityName</c>, and those of its <c>project</c> and <c>entity</c>).
    /// </summary>
    Names,
}

internal sealed record FieldAnnotation(FieldScopeKind Kind, string? Why);

/// <summary>
/// Scope annotations per type and per <c>Type.field</c>, from the rules sources' <c>types</c> and
/// <c>fields</c> sections; a field without one takes its type's default. Checked against the schema
/// when configuration loads: every annotation names a real type or field, and every object-valued field
/// of a scope-bound type says where it leads (no default can be right for both Project.runs and Run.user).
/// </summary>
internal sealed class TypeAnnotations
{
    private static readonly string[] TypeKinds = ["free", "project", "entity", "plumbing"];
    private static readonly string[] FieldKinds = ["free", "same", "leave", "entityOf", "enter", "refused", "viewerOnly", "names"];

    public FrozenDictionary<string, TypeScopeKind> Types { get; private init; } = FrozenDictionary<string, TypeScopeKind>.Empty;

    public FrozenDictionary<string, FieldAnnotation> Fields { get; private init; } = FrozenDictionary<string, FieldAnnotation>.Empty;

    // Interfaces and unions without a kind of their own: the strictest kind of the types they stand for,
    // so that a type condition on an interface never selects a project's fields as free ones.
    private FrozenDictionary<string, TypeScopeKind> Abstract { get; init; } = FrozenDictionary<string, TypeScopeKind>.Empty;

    /// <summary>A type's kind: as annotated, else (an interface or union) the strictest of its possible types, else plumbing for connections, edges and payloads, else free.</summary>
    public TypeScopeKind KindOf(string type)
        => Types.TryGetValue(type, out var kind) ? kind
            : Abstract.TryGetValue(type, out var derived) ? derived
            : type.EndsWith("Connection", StringComparison.Ordinal) || type.EndsWith("Edge", StringComparison.Ordinal) || type.EndsWith("Payload", StringComparison.Ordinal) || type == "PageInfo"
                ? TypeScopeKind.Plumbing
                : TypeScopeKind.Free;

    /// <summary>The annotation of a field: its own, else its type's default.</summary>
    public FieldAnnotation For(SchemaField field)
    {
        if (Fields.TryGetValue(field.Type + "." + field.Name, out var own))
        {
            return own;
        }

        return KindOf(field.Type) switch
        {
            TypeScopeKind.Plumbing => SameDefault,
            TypeScopeKind.Project or TypeScopeKind.Entity => field.IsLeaf ? InheritDefault : SameDefault,
            _ => FreeDefault,
        };
    }

    private static readonly FieldAnnotation InheritDefault = new(FieldScopeKind.Inherit, null);
    private static readonly FieldAnnotation SameDefault = new(FieldScopeKind.Same, null);
    private static readonly FieldAnnotation FreeDefault = new(FieldScopeKind.Free, null);

    /// <summary>Reads a <c>types</c> section (<c>{"project": ["Project", ...], ...}</c>) into <paramref name="into"/>.</summary>
    public static void ReadTypes(JsonElement section, Dictionary<string, TypeScopeKind> into, Func<string, string> where, List<string> errors)
    {
        if (section.ValueKind != JsonValueKind.Object)
        {
            errors.Add(where("'types' must be an object of kinds, each a list of type names."));
            return;
        }

        foreach (var kind in section.EnumerateObject())
        {
            var index = Array.IndexOf(TypeKinds, kind.Name);
            if (index < 0 || kind.Value.ValueKind != JsonValueKind.Array)
            {
                errors.Add(where($"'types.{kind.Name}' is not a list under a known kind. Expected: {string.Join(", ", TypeKinds)}."));
                continue;
            }

            foreach (var name in kind.Value.EnumerateArray())
            {
                if (name.ValueKind != JsonValueKind.String)
                {
                    errors.Add(where($"'types.{kind.Name}' holds a value that is not a type name."));
                    continue;
                }

                into[name.GetString()!] = (TypeScopeKind)index;
            }
        }
    }

    /// <summary>Reads a <c>fields</c> section (<c>{"Type.field": {"kind": ..., "why": ...}}</c>) into <paramref name="into"/>.</summary>
    public static void ReadFields(JsonElement section, Dictionary<string, FieldAnnotation> into, Func<string, string> where, List<string> errors)
    {
        if (section.ValueKind != JsonValueKind.Object)
        {
            errors.Add(where("'fields' must be an object keyed Type.field."));
            return;
        }

        foreach (var field in section.EnumerateObject())
        {
            if (field.Name.Split('.') is not [{ Length: > 0 }, { Length: > 0 }] || field.Value.ValueKind != JsonValueKind.Object)
            {
                errors.Add(where($"'fields.{field.Name}' must be keyed Type.field and hold an object."));
                continue;
            }

            string? kind = null, why = null;
            foreach (var p in field.Value.EnumerateObject())
            {
                switch (p.Name)
                {
                    case "kind": kind = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null; break;
                    case "why": why = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : null; break;
                    default: errors.Add(where($"'fields.{field.Name}' has unknown property '{p.Name}'. Expected: kind, why.")); break;
                }
            }

            var index = kind is null ? -1 : Array.IndexOf(FieldKinds, kind);
            if (index < 0)
            {
                errors.Add(where($"'fields.{field.Name}.kind' must be one of: {string.Join(", ", FieldKinds)}."));
                continue;
            }

            into[field.Name] = new FieldAnnotation((FieldScopeKind)(index + 1), why);
        }
    }

    /// <summary>Checks the annotations against the schema; null with every problem in <paramref name="errors"/>.</summary>
    public static TypeAnnotations? Build(string routeId, ScopeSchema schema, Dictionary<string, TypeScopeKind> types, Dictionary<string, FieldAnnotation> fields, List<string> errors)
    {
        var before = errors.Count;
        foreach (var type in types.Keys.Where(t => !schema.Fields.ContainsKey(t)).Order(StringComparer.Ordinal))
        {
            errors.Add($"Route '{routeId}': GraphQL annotation 'types' names '{type}', which is not an object or interface type of the schema.");
        }

        foreach (var key in fields.Keys.Order(StringComparer.Ordinal))
        {
            var dot = key.IndexOf('.');
            if (!schema.TryGetField(key[..dot], key[(dot + 1)..], out _))
            {
                errors.Add($"Route '{routeId}': GraphQL annotation 'fields.{key}' names no field of the schema.");
            }
        }

        var plain = new TypeAnnotations { Types = types.ToFrozenDictionary(StringComparer.Ordinal) };
        var abstracts = new Dictionary<string, TypeScopeKind>(StringComparer.Ordinal);
        foreach (var (name, possible) in schema.PossibleTypes.Where(p => !types.ContainsKey(p.Key)))
        {
            var kinds = possible.Select(plain.KindOf).ToList();
            abstracts[name] = kinds.Contains(TypeScopeKind.Entity) ? TypeScopeKind.Entity : kinds.Contains(TypeScopeKind.Project) ? TypeScopeKind.Project : TypeScopeKind.Free;
        }

        var annotations = new TypeAnnotations
        {
            Types = types.ToFrozenDictionary(StringComparer.Ordinal),
            Fields = fields.ToFrozenDictionary(StringComparer.Ordinal),
            Abstract = abstracts.ToFrozenDictionary(StringComparer.Ordinal),
        };
        foreach (var (type, typeFields) in schema.Fields.OrderBy(t => t.Key, StringComparer.Ordinal))
        {
            if (type is "Query" or "Mutation")
            {
                continue;
            }

            var bound = annotations.KindOf(type) is TypeScopeKind.Project or TypeScopeKind.Entity;
            foreach (var field in typeFields.Values.Where(f => !fields.ContainsKey(type + "." + f.Name)).OrderBy(f => f.Name, StringComparer.Ordinal))
            {
                if (bound && !field.IsLeaf)
                {
                    errors.Add($"Route '{routeId}': GraphQL field '{type}.{field.Name}' returns {field.ReturnType} from a scope-bound type and has no annotation: say in 'fields' whether it is same, names, leave, entityOf, enter, free or refused.");
                }
                else if (field.HasIdArgument)
                {
                    // An id below the root names an object the gateway does not resolve: the annotation says why that is safe.
                    errors.Add($"Route '{routeId}': GraphQL field '{type}.{field.Name}' takes an ID argument and has no annotation: say in 'fields' what it may reach (and why), or refuse it.");
                }
            }
        }

        return errors.Count == before ? annotations : null;
    }
}
