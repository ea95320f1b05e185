using System.Collections.Frozen;

namespace Gateway.BodyScope;

/// <summary>How a body-scoped route reads its body: names to look for and hard caps, parsed once per config load.</summary>
internal sealed record BodyLimits
{
    public const int DefaultGraphQlBytes = 1024 * 1024;
    public const int DefaultJsonBytes = 32 * 1024 * 1024;

    /// <summary>Largest body accepted, as sent (413 beyond).</summary>
    public int MaxBytes { get; init; }

    /// <summary>Largest body after gzip decompression (413 beyond).</summary>
    public int MaxDecompressedBytes { get; init; }

    /// <summary>GraphQL: operations in one batched request.</summary>
    public int MaxOperations { get; init; } = 20;

    /// <summary>GraphQL: fields (aliases included) and fragment spreads visited per document.</summary>
    public int MaxFields { get; init; } = 2000;

    /// <summary>GraphQL: nesting depth of the document and of argument values.</summary>
    public int MaxDepth { get; init; } = 32;

    /// <summary>GraphQL argument and input-field names that name an entity.</summary>
    public FrozenSet<string> EntityNames { get; init; } = FrozenSet<string>.Empty;

    /// <summary>GraphQL argument and input-field names that name a project; <c>field.argument</c> entries apply to one field.</summary>
    public FrozenSet<string> ProjectNames { get; init; } = FrozenSet<string>.Empty;

    /// <summary>JSON property, form field or query parameter holding <c>entity/project</c>.</summary>
    public string ProjectIdField { get; init; } = "project_id";

    /// <summary>GraphQL: GET requests are accepted, read from the URL only (off unless the route says so).</summary>
    public bool AllowGet { get; init; }

    /// <summary>GraphQL: the route's rule table (every GraphQL route has one).</summary>
    public GraphQL.GraphQlRuleTable? Rules { get; init; }

    public static readonly string[] DefaultEntityNames = ["entity", "entityName", "entity.name"];

    // "project.name" and "model.name": W&B's project(name:, entityName:) and legacy model(name:, entityName:) fields.
    public static readonly string[] DefaultProjectNames = ["project", "projectName", "modelName", "project.name", "model.name"];
}
