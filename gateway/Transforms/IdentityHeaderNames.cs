using Gateway.Configuration;

namespace Gateway.Transforms;

/// <summary>The header names the gateway owns, computed once from <c>Gateway:HeaderPrefix</c>.</summary>
internal sealed class IdentityHeaderNames
{
    public const string AttributionUsername = "X-WANDB-USERNAME";
    public const string AttributionEmail = "X-WANDB-USER-EMAIL";

    /// <summary>Headers that carry credentials or a client-chosen identity: never forwarded as sent.</summary>
    public static readonly string[] Stripped =
    [
        "Authorization", "Proxy-Authorization", "wandb-api-key", "X-Neptune-Api-Token", "Cookie",
        AttributionUsername, AttributionEmail,
        // Who/where the client is, as load balancers and frameworks read it: set by the gateway alone.
        "Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Prefix", "X-Forwarded-Port",
        "X-Real-IP", "X-Client-IP", "X-Original-URL", "X-Rewrite-URL", "X-Original-Host",
        // What ASP.NET's forwarded-headers middleware keeps of the hops it consumed (trusted proxies).
        "X-Original-For", "X-Original-Proto", "X-Original-Prefix",
        // Kestrel keeps a Content-Length sent with chunked encoding under this name.
        "X-Content-Length",
    ];

    private static readonly System.Collections.Frozen.FrozenSet<string> StrippedSet =
        System.Collections.Frozen.FrozenSet.ToFrozenSet(Stripped, StringComparer.OrdinalIgnoreCase);

    /// <summary>True for a credential, identity or forwarding header the client may not pass on, in any case.</summary>
    public static bool IsStripped(string name) => StrippedSet.Contains(name);

    public IdentityHeaderNames(GatewayOptions options)
    {
        Prefix = options.HeaderPrefix;
        Principal = Prefix + "Principal";
        PrincipalType = Prefix + "Principal-Type";
        Org = Prefix + "Org";
        Entity = Prefix + "Entity";
        Project = Prefix + "Project";
        AuthMethod = Prefix + "Auth-Method";
        KeyId = Prefix + "Key-Id";
        AttributedUser = Prefix + "Attributed-User";
        Identity = Prefix + "Identity";
    }

    public string Prefix { get; }
    public string Principal { get; }
    public string PrincipalType { get; }
    public string Org { get; }
    public string Entity { get; }
    public string Project { get; }
    public string AuthMethod { get; }
    public string KeyId { get; }
    public string AttributedUser { get; }
    public string Identity { get; }

    /// <summary>True for a header in the gateway's namespace, in any case.</summary>
    public bool IsReserved(string name) => name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// True for a name that equals a reserved or stripped header with <c>_</c> in place of <c>-</c>:
    /// Python and Ruby servers read <c>X_Gateway_Entity</c> as <c>X-Gateway-Entity</c>.
    /// </summary>
    public bool IsUnderscoreTwin(string name)
    {
        if (!name.Contains('_'))
        {
            return false;
        }

        Span<char> dashed = stackalloc char[name.Length];
        name.AsSpan().Replace(dashed, '_', '-');
        if (dashed.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        foreach (var stripped in Stripped)
        {
            if (dashed.Equals(stripped, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
