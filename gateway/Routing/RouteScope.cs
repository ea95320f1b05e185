using Gateway.Policy.Model;

namespace Gateway.Routing;

/// <summary>Where a route's entity and project come from.</summary>
internal enum ScopeKind
{
    /// <summary>Template values of the route's path.</summary>
    Path,
    /// <summary>Query parameters.</summary>
    Query,
    /// <summary>Request headers.</summary>
    Header,
    /// <summary>Any authenticated principal; the route touches no project (entity: the default one).</summary>
    Authenticated,
    /// <summary>No authentication at all (credentials are still stripped).</summary>
    Anonymous,
    /// <summary>GraphQL variables and arguments in a JSON body (one operation or a batch).</summary>
    GraphQl,
    /// <summary><c>project_id</c> properties anywhere in a JSON body.</summary>
    Json,
    /// <summary>A <c>project_id</c> form field of a multipart body.</summary>
    Multipart,
    /// <summary>Weave <c>refs/read_batch</c>: every <c>weave:///entity/project/...</c> ref (read).</summary>
    WeaveRefs,
    /// <summary>OTLP protobuf trace export: the <c>project_id</c> header and each resource's wandb.entity/wandb.project (write).</summary>
    Otlp,
}

/// <summary>
/// A route's declared scope, parsed and validated once per configuration load and attached to the
/// route's endpoint as metadata: the request path does no string parsing of configuration.
/// </summary>
internal sealed record RouteScope
{
    public required string RouteId { get; init; }

    public required ScopeKind Kind { get; init; }

    /// <summary>The template value, query parameter or header naming the entity; null for the default entity.</summary>
    public string? Entity { get; init; }

    /// <summary>The template value, query parameter or header naming the project; null when the route touches only the entity.</summary>
    public string? Project { get; init; }

    /// <summary>For <see cref="ScopeKind.Path"/>: the index of the entity's path segment in the template.</summary>
    public int EntitySegment { get; init; } = -1;

    /// <summary>For <see cref="ScopeKind.Path"/>: the index of the project's path segment in the template.</summary>
    public int ProjectSegment { get; init; } = -1;

    /// <summary>
    /// A query parameter (query scope), JSON property or form field (json, multipart) holding
    /// <c>entity/project</c> in one value.
    /// </summary>
    public string? ProjectId { get; init; }

    /// <summary>For body kinds: names to look for and hard caps.</summary>
    public BodyScope.BodyLimits? Body { get; init; }

    /// <summary>
    /// <c>Gateway.Mode: shadow</c>: authentication and authorization refusals are recorded (metric, sampled
    /// log and audit) and the request is forwarded anyway, without identity headers. Hygiene and
    /// differential refusals (400), throttling (429) and fail-closed answers (503) are never shadowed.
    /// </summary>
    public bool Shadow { get; init; }

    /// <summary>Which configured rate limits apply (<c>Gateway.RateLimit.Class</c>, or the kind's default).</summary>
    public RateLimiting.RateClass RateClass { get; init; }

    public bool IsBodyScoped => Kind is ScopeKind.GraphQl or ScopeKind.Json or ScopeKind.Multipart or ScopeKind.WeaveRefs or ScopeKind.Otlp;

    /// <summary>The declared action; null to derive it from the method (GET, HEAD, OPTIONS read; others write).</summary>
    public AccessAction? Action { get; init; }

    public AccessAction ActionFor(string method) => Action ?? (HttpMethodIsRead(method) ? AccessAction.Read : AccessAction.Write);

    /// <summary>GET, HEAD and OPTIONS: the methods that read.</summary>
    public static bool HttpMethodIsRead(string method)
        => ReferenceEquals(method, "GET") || ReferenceEquals(method, "HEAD")
           || method is "GET" or "HEAD" or "OPTIONS";
}
