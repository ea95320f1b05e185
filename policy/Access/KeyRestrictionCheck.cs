using System.Net;
using Gateway.Policy.Model;

namespace Gateway.Policy.Access;

/// <summary>
/// A key's restrictions applied to one request, after its owner's decision allowed it: the result is
/// always the intersection. Returns the name of the restriction that refuses (the field it is set
/// with), or null. Pure and allocation-free.
/// </summary>
public static class KeyRestrictionCheck
{
    /// <summary>The restriction named <c>access</c>.</summary>
    public const string Access = "access";
    /// <summary>The restriction named <c>projects</c>.</summary>
    public const string Projects = "projects";
    /// <summary>The restriction named <c>allowedNetworks</c>.</summary>
    public const string AllowedNetworks = "allowedNetworks";

    /// <summary>Which restriction refuses <paramref name="action"/> on <paramref name="entity"/>/<paramref name="project"/>, or null.</summary>
    public static string? Check(KeyRestrictions? restrictions, string entity, string? project, AccessAction action)
    {
        if (restrictions is null)
        {
            return null;
        }

        if (restrictions.Access == KeyAccess.Read && action != AccessAction.Read)
        {
            return Access;
        }

        var patterns = restrictions.Projects;
        if (patterns.IsDefaultOrEmpty)
        {
            return null;
        }

        foreach (var pattern in patterns)
        {
            if (pattern.Covers(entity, project))
            {
                return null;
            }
        }

        return Projects;
    }

    /// <summary>
    /// Which restriction refuses a request that names no project (it only needs authentication), or null:
    /// a read-only key may not write, and a key limited to projects may not write where no project is
    /// named (nothing would check that the write lands in one of them); both may read there.
    /// </summary>
    public static string? CheckUnscoped(KeyRestrictions? restrictions, AccessAction action)
        => restrictions is null || action == AccessAction.Read ? null
            : restrictions.Access == KeyAccess.Read ? Access
            : !restrictions.Projects.IsDefaultOrEmpty ? Projects
            : null;

    /// <summary>Which restriction refuses what a request does as a whole once each of its references passed (a mutation writes), or null.</summary>
    public static string? CheckOverall(KeyRestrictions? restrictions, AccessAction action)
        => restrictions is { Access: KeyAccess.Read } && action != AccessAction.Read ? Access : null;

    /// <summary>False when the key may not be used from <paramref name="client"/> (an unknown address is outside every network).</summary>
    public static bool AllowsAddress(KeyRestrictions? restrictions, IPAddress? client)
    {
        if (restrictions is null || restrictions.AllowedNetworks.IsDefaultOrEmpty)
        {
            return true;
        }

        if (client is null)
        {
            return false;
        }

        if (client.IsIPv4MappedToIPv6)
        {
            client = client.MapToIPv4();
        }

        foreach (var network in restrictions.AllowedNetworks)
        {
            if (network.Contains(client))
            {
                return true;
            }
        }

        return false;
    }
}
