using System.Collections.Frozen;
using Gateway.Policy.Model;

namespace Gateway.GraphQL;

/// <summary>What the gateway does with one GraphQL field.</summary>
internal enum GraphQlRuleKind
{
    /// <summary>Scope from the field's arguments (entity, project), nullable entity made explicit.</summary>
    Scoped,
    /// <summary>Names project data by id only: each id is resolved to its (entity, project) before forwarding.</summary>
    ById,
    /// <summary>The caller's identity: answered by the gateway from its directory.</summary>
    Viewer,
    /// <summary>Touches no project (introspection, server info).</summary>
    None,
    /// <summary>Enumerates projects of an entity: authorized on the entity, response filtered.</summary>
    Listing,
    /// <summary>Names an organization: only the caller's own.</summary>
    Organization,
    /// <summary>Never forwarded.</summary>
    Refused,
}

/// <summary>An argument path holding ids of one type (lists are walked).</summary>
internal sealed record IdArgument(string[] Path, string Type, AccessAction? Action);

/// <summary>
/// How the gateway finds an id's project: a lookup document sent upstream with the cluster's own
/// credential, or, for a <paramref name="Learned"/> type, only the bindings learned from answers.
/// </summary>
internal sealed record IdTypeLookup(string Type, string? Document, string[] EntityPath, string[] ProjectPath, bool Learned = false);

/// <summary>Where an authorized create's answer holds the new id (a path from the field's value) and its type.</summary>
internal sealed record LearnedIdPath(string[] Path, string Type);

/// <summary>One rule, parsed and validated when configuration loads.</summary>
internal sealed record GraphQlRule
{
    public required GraphQlRuleKind Kind { get; init; }

    /// <summary>Where the entity travels; a null or missing value is rewritten to the entity the gateway authorized.</summary>
    public string[]? EntityArgument { get; init; }

    /// <summary>Further argument names that name a project in this field (<c>upsertModel(input:{name})</c>).</summary>
    public FrozenSet<string> ProjectFields { get; init; } = FrozenSet<string>.Empty;

    public IdArgument[] Ids { get; init; } = [];

    /// <summary>Id-typed arguments the gateway does not resolve, each with why that is safe (checked complete at load).</summary>
    public FrozenDictionary<string, string> IgnoredIds { get; init; } = FrozenDictionary<string, string>.Empty;

    /// <summary>Top-level arguments refused when given (an organization by id instead of by name).</summary>
    public string[] RefusedArguments { get; init; } = [];

    /// <summary>Ids the answer creates, bound to the request's project once it is answered.</summary>
    public LearnedIdPath[] Learns { get; init; } = [];

    /// <summary>Overrides the operation's action (queries read, mutations write).</summary>
    public AccessAction? Action { get; init; }

    /// <summary>Listing: path from the field's value to the listed nodes.</summary>
    public string[] Items { get; init; } = [];

    /// <summary>Listing: the node field holding the project name.</summary>
    public string NameField { get; init; } = "name";

    /// <summary>Organization: the argument naming it.</summary>
    public string Argument { get; init; } = "name";

    public string? Why { get; init; }
}
