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
    private sealed partial class Walker
    {
        // One argument list or input object. Returns how many references it (and what is below it) produced.
        private int Container(ReadOnlySpan<(ROM Name, Value Value)> members, ROM fieldName, List<string?> inherited, int depth, out List<string?> effective)
        {
            CheckDepth(depth);
            // Each member's role, decided once for both passes below.
            Span<Role> roles = members.Length <= 64 ? stackalloc Role[members.Length] : new Role[members.Length];
            Roles(members, fieldName, roles);
            return Container(members, roles, [], inherited, depth, out effective);
        }

        private void Roles(ReadOnlySpan<(ROM Name, Value Value)> members, ROM fieldName, Span<Role> roles)
        {
            for (var i = 0; i < members.Length; i++)
            {
                var name = members[i].Name.Span;
                roles[i] = IsEntityName(name, fieldName.Span) ? Role.Entity
                    : IsProjectName(name, fieldName.Span) ? Role.Project
                    : members[i].Value.Kind == ValueKind.Variable && IsLeafVariable(members[i].Value.VariableName.Span) ? Role.Leaf
                    : Role.Other;
            }
        }

        // A variable the operation declares with a scalar or enum type: the upstream coerces its value as
        // that leaf type (validation put it in a leaf position), so no input field inside it is read.
        private bool IsLeafVariable(ReadOnlySpan<char> name)
            => rules is not null && VariableDefinitions.Find(_operation, name) is { } definition
               && rules.Schema.LeafTypes.Contains(VariableDefinitions.NamedType(definition.Type));

        // The same, with the roles decided (by a compiled plan, or just above), and the input objects written
        // literally in the document already compiled (<paramref name="objects"/>: empty, or one per member).
        private int Container(ReadOnlySpan<(ROM Name, Value Value)> members, ReadOnlySpan<Role> roles, ReadOnlySpan<PlanObject?> objects,
            List<string?> inherited, int depth, out List<string?> effective)
        {
            CheckDepth(depth);
            List<string?>? entities = null;
            List<string?>? projects = null; // a null project (argument null) names none
            var produced = 0;
            for (var i = 0; i < members.Length; i++)
            {
                var (name, value) = members[i];
                if (roles[i] == Role.Entity)
                {
                    entities ??= [];
                    AddStrings(value, name, depth, entities, entity: true);
                }
                else if (roles[i] == Role.Project)
                {
                    projects ??= [];
                    AddStrings(value, name, depth, projects, entity: false);
                }
            }

            effective = entities is { Count: > 0 } ? entities : inherited;
            if (projects is not null)
            {
                foreach (var project in projects)
                {
                    if (project is null)
                    {
                        continue;
                    }

                    foreach (var entity in effective)
                    {
                        _references.Add(new ScopeReference(entity, project, _action));
                        produced++;
                    }
                }
            }

            for (var i = 0; i < members.Length; i++)
            {
                if (members[i].Value.Kind is ValueKind.Object or ValueKind.List or ValueKind.Variable && roles[i] == Role.Other)
                {
                    produced += objects.Length > 0 && objects[i] is { } compiled
                        ? NestedObject(compiled, effective, depth + 1)
                        : Nested(members[i].Value, effective, depth + 1);
                }
            }

            if (produced == 0 && entities is { Count: > 0 })
            {
                // An entity with no project anywhere below it: an entity-level reference.
                foreach (var entity in entities)
                {
                    _references.Add(new ScopeReference(entity, null, _action));
                    produced++;
                }
            }

            return produced;
        }

        private bool IsEntityName(ReadOnlySpan<char> name, ReadOnlySpan<char> fieldName)
            => _entityNames.Contains(name) || Qualified(_entityNames, name, fieldName);

        private bool IsProjectName(ReadOnlySpan<char> name, ReadOnlySpan<char> fieldName)
            => _projectNames.Contains(name) || (_extraProjects is { } extra && extra.GetAlternateLookup<ReadOnlySpan<char>>().Contains(name))
               || Qualified(_projectNames, name, fieldName);

        private static bool Qualified(FrozenSet<string>.AlternateLookup<ReadOnlySpan<char>> set, ReadOnlySpan<char> name, ReadOnlySpan<char> fieldName)
        {
            if (fieldName.IsEmpty || fieldName.Length + name.Length + 1 > 128)
            {
                return false;
            }

            return set.Contains(Dotted(fieldName, name, stackalloc char[fieldName.Length + name.Length + 1]));
        }

        // "first.second" written into <paramref name="into"/> (exactly that long): the key of a qualified
        // argument name and of a nested rule, built on the stack instead of as a string per field.
        private static ReadOnlySpan<char> Dotted(ReadOnlySpan<char> first, ReadOnlySpan<char> second, Span<char> into)
        {
            first.CopyTo(into);
            into[first.Length] = '.';
            second.CopyTo(into[(first.Length + 1)..]);
            return into;
        }

        private int Nested(Value value, List<string?> inherited, int depth)
        {
            CheckDepth(depth);
            var resolved = Resolve(value);
            switch (resolved.Kind)
            {
                case ValueKind.Object:
                    var count = resolved.MemberCount;
                    var members = Pool.Rent(count);
                    try
                    {
                        resolved.CopyMembers(members);
                        return Container(members.AsSpan(0, count), ROM.Empty, inherited, depth, out _);
                    }
                    finally
                    {
                        Pool.Return(members, clearArray: true);
                    }

                case ValueKind.List:
                    var produced = 0;
                    foreach (var item in resolved.Items())
                    {
                        produced += Nested(item, inherited, depth + 1);
                    }

                    return produced;
                default:
                    return 0;
            }
        }

        private void AddStrings(Value value, ROM name, int depth, List<string?> into, bool entity)
        {
            CheckDepth(depth);
            var resolved = Resolve(value);
            switch (resolved.Kind)
            {
                case ValueKind.String:
                    into.Add(Checked(resolved.String, name, entity));
                    break;
                case ValueKind.Null:
                    into.Add(null);
                    break;
                case ValueKind.List:
                    foreach (var item in resolved.Items())
                    {
                        AddStrings(item, name, depth + 1, into, entity);
                    }

                    break;
                default:
                    throw new BodyScopeException(400, BodyScopeCodes.InvalidScope, $"'{name}' must be a string.");
            }
        }

        // Variables resolve to their JSON value, else the operation's default, else null.
        private Value Resolve(Value value)
        {
            if (value.Kind != ValueKind.Variable)
            {
                return value;
            }

            var name = value.VariableName;
            if (variables is { } vars && TryGetVariable(vars, name.Span, out var supplied))
            {
                return Value.Of(supplied);
            }

            return VariableDefinitions.Find(_operation, name.Span)?.DefaultValue is { } fallback ? Value.Of(fallback) : Value.Null;
        }

        private static string Checked(string text, ROM name, bool entity)
        {
            if (entity ? !Names.IsValidEntity(text) : !Names.IsValidProject(text))
            {
                throw new BodyScopeException(400, BodyScopeCodes.InvalidScope, $"'{name}' is not a valid {(entity ? "entity" : "project")} name.");
            }

            return text;
        }

        private void Count()
        {
            if (++_fields > limits.MaxFields)
            {
                throw new BodyScopeException(400, BodyScopeCodes.TooManyFields, $"The document has more than {limits.MaxFields} fields, aliases and fragment spreads.");
            }
        }

        private void CheckDepth(int depth)
        {
            if (depth > limits.MaxDepth)
            {
                throw new BodyScopeException(400, BodyScopeCodes.TooDeep, $"The document nests deeper than {limits.MaxDepth}.");
            }
        }
    }
}
