using System.Net;

namespace Gateway.ForwardAuth;

/// <summary>
/// Who may ask the authorizer listener: the proxies of <c>Gateway:Authorizer:TrustedProxies</c>, loopback
/// when none are named. The asking proxy's word about the client (its address, the original request) is
/// believed, so a caller outside them is refused before anything it says is read.
/// </summary>
internal sealed class AuthorizerCallers
{
    public const string Refusal = "This address may not ask the gateway's authorizer (Gateway:Authorizer:TrustedProxies; loopback when empty).";

    private readonly IReadOnlyList<IPNetwork> _networks;

    public AuthorizerCallers(Configuration.GatewayOptions options)
    {
        var networks = new List<IPNetwork>();
        foreach (var entry in options.Authorizer.TrustedProxies)
        {
            if (Hosting.TrustedProxies.TryParse(entry, out var network))
            {
                networks.Add(network);
            }
        }

        _networks = networks;
    }

    public bool Allows(IPAddress? caller)
    {
        if (caller is null)
        {
            return false;
        }

        if (caller.IsIPv4MappedToIPv6)
        {
            caller = caller.MapToIPv4();
        }

        if (_networks.Count == 0)
        {
            return IPAddress.IsLoopback(caller);
        }

        foreach (var network in _networks)
        {
            if (network.Contains(caller))
            {
                return true;
            }
        }

        return false;
    }
}
