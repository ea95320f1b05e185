namespace Gateway.Hosting;

/// <summary>Which listener an endpoint belongs to. Endpoints without it belong to the proxy listener.</summary>
internal enum ListenerKind
{
    Proxy,
    Admin,
    /// <summary>The external authorizer's listener (ext_authz, forward-auth).</summary>
    Authorizer,
    Any,
}

/// <summary>Endpoint metadata read by <see cref="ListenerMatcherPolicy"/>.</summary>
internal sealed record ListenerMetadata(ListenerKind Kind)
{
    public static readonly ListenerMetadata Admin = new(ListenerKind.Admin);
    public static readonly ListenerMetadata Proxy = new(ListenerKind.Proxy);
    public static readonly ListenerMetadata Authorizer = new(ListenerKind.Authorizer);
    public static readonly ListenerMetadata Any = new(ListenerKind.Any);
}
