using Gateway.BodyScope;
using Gateway.Policy.Model;
using GraphQLParser.AST;

namespace Gateway.GraphQL;

/// <summary>An id that must be resolved to its (entity, project) before the request may be forwarded.</summary>
internal readonly record struct IdReference(string Type, string Id, AccessAction Action);

/// <summary>A change that makes a defaulted entity explicit: a text edit of a document, or a variable set.</summary>
internal sealed record EntityEdit(int Envelope, int Start, int End, string? Text, string? Variable, string[]? VariablePath);

/// <summary>
/// A <c>viewer</c> field the gateway answers (by response key), with the fields selected directly on it
/// (fragments expanded): what decides whether the upstream is asked and which of its fields are kept.
/// </summary>
internal sealed record ViewerSelection(int Envelope, string ResponseKey, GraphQLField Field, IReadOnlyDictionary<string, GraphQLFragmentDefinition> Fragments,
    IReadOnlyList<GraphQLField> Fields)
{
    /// <summary>The selected fields taken from the upstream's answer (the allowlist).</summary>
    public IEnumerable<GraphQLField> UpstreamFields => Fields.Where(f => ViewerAnswer.UpstreamFields.Contains(f.Name.StringValue));

    public bool Selects(string field) => Fields.Any(f => f.Name.StringValue == field);
}

/// <summary>A listing whose response is filtered to what the caller may read.</summary>
internal sealed record ListingSelection(int Envelope, string ResponseKey, string? Entity, GraphQlRule Rule);

/// <summary>A root field whose answer holds an id to learn (at <see cref="Path"/> below the response key).</summary>
internal sealed record LearningSelection(int Envelope, string ResponseKey, string[] Path, string Type);

/// <summary>
/// Everything one GraphQL request asks of the gateway, from the rule table. Lists other than the
/// references are made on their first entry: most requests (the SDK's run updates) have none, and
/// this object is made for every GraphQL request.
/// </summary>
internal sealed class GraphQlAnalysis
{
    public List<ScopeReference> References { get; } = [];

    public IReadOnlyList<IdReference> Ids => _ids ?? (IReadOnlyList<IdReference>)[];

    public void Add(IdReference item) => (_ids ??= []).Add(item);

    private List<IdReference>? _ids;

    public IReadOnlyList<EntityEdit> Edits => _edits ?? (IReadOnlyList<EntityEdit>)[];

    public void Add(EntityEdit item) => (_edits ??= []).Add(item);

    private List<EntityEdit>? _edits;

    public IReadOnlyList<ViewerSelection> Viewers => _viewers ?? (IReadOnlyList<ViewerSelection>)[];

    public void Add(ViewerSelection item) => (_viewers ??= []).Add(item);

    private List<ViewerSelection>? _viewers;

    public IReadOnlyList<ListingSelection> Listings => _listings ?? (IReadOnlyList<ListingSelection>)[];

    public void Add(ListingSelection item) => (_listings ??= []).Add(item);

    private List<ListingSelection>? _listings;

    /// <summary>Ids the answer creates: read from the answer and bound to the request's project.</summary>
    public IReadOnlyList<LearningSelection> Learnings => _learnings ?? (IReadOnlyList<LearningSelection>)[];

    public void Add(LearningSelection item) => (_learnings ??= []).Add(item);

    private List<LearningSelection>? _learnings;

    /// <summary>Organizations named (<c>organization(name:)</c>): each must be the caller's.</summary>
    public IReadOnlyList<string?> Organizations => _organizations ?? (IReadOnlyList<string?>)[];

    public void AddOrganization(string? item) => (_organizations ??= []).Add(item);

    private List<string?>? _organizations;

    /// <summary>True while every root field seen is answered by the gateway (viewer, __typename).</summary>
    public bool OnlyLocal { get; set; } = true;

    /// <summary>Some document defines a mutation (or subscription): never over GET.</summary>
    public bool HasMutation { get; set; }

    /// <summary>The envelope was a batch (JSON array): responses are arrays too.</summary>
    public bool IsBatch { get; set; }

    /// <summary>One entry per envelope: true when exactly one operation of its document can run (the only one, or the one operationName names).</summary>
    public List<bool> SingleOperation { get; } = [];

    /// <summary>True when the response must be rewritten (viewer splice or listing filter).</summary>
    public bool NeedsResponseRewrite => Listings.Count > 0 || Learnings.Count > 0 || (Viewers.Count > 0 && !AnswersLocally);

    /// <summary>Every root field is the gateway's own and no viewer selection asks for an upstream field: nothing is forwarded.</summary>
    public bool AnswersLocally => Viewers.Count > 0 && OnlyLocal && !Viewers.Any(v => v.UpstreamFields.Any()) && SingleOperation.All(s => s);
}

/// <summary>Stable codes for GraphQL rule refusals.</summary>
internal static class GraphQlCodes
{
    /// <summary>A root field the route's rule table does not know: default deny.</summary>
    public const string FieldNotAllowed = "graphql_field_not_allowed";

    /// <summary>A field whose rule refuses it (user administration, unresolvable ids, unfiltered listings).</summary>
    public const string FieldRefused = "graphql_field_refused";

    /// <summary>A listing whose response the gateway could not filter (aliased path or no name selected).</summary>
    public const string ListingUnfilterable = "graphql_listing_unfilterable";

    /// <summary>Another organization than the caller's.</summary>
    public const string OrganizationNotFound = "organization_not_found";

    /// <summary>An id the upstream does not know, or that resolves to no valid project.</summary>
    public const string IdNotFound = "id_not_found";

    /// <summary>The id lookup failed (upstream error): refused, never forwarded.</summary>
    public const string IdUnresolved = "id_unresolved";

    public const string TooManyIds = "too_many_ids";

    /// <summary>A field that needs the request's scope, selected below a field that left it (a user's teams, an organization's entity...).</summary>
    public const string ScopeLeft = "graphql_scope_left";

    /// <summary>The document breaks a validation rule of the GraphQL specification (§5) against the route's schema.</summary>
    public const string Invalid = "graphql_invalid";
}
