using System.Collections.Immutable;
using Gateway.Directory;
using Gateway.Policy.Access;
using Gateway.Policy.Directory;
using Gateway.Policy.Model;
using Gateway.Store;

namespace Gateway.Admin;

/// <summary>
/// A key's restrictions as the admin API takes them (<c>access</c>, <c>projects</c>, <c>allowedNetworks</c>,
/// flat in the key's body) and shows them. Every malformed entry is reported at once; entries beyond what
/// the owner may read are refused too, so a key's list says what it can really do (the decision would
/// refuse them anyway: restrictions only ever narrow the owner's rights).
/// </summary>
internal static class KeyRestrictionFields
{
    public const int MaxEntries = 100;

    /// <summary>The restrictions a body asks for; null when it names none. Syntax only: see <see cref="CheckOwner"/>.</summary>
    public static KeyRestrictions? Parse(string? access, IReadOnlyList<string>? projects, IReadOnlyList<string>? networks, FieldErrors errors, KeyRestrictions? current = null)
    {
        if (access is null && projects is null && networks is null)
        {
            return current;
        }

        var restrictions = current ?? new KeyRestrictions();
        if (access is not null)
        {
            restrictions = restrictions with { Access = errors.Enum<KeyAccess>("access", access, KeyAccess.Write) };
        }

        if (projects is not null)
        {
            restrictions = restrictions with { Projects = Patterns(projects, errors) };
        }

        if (networks is not null)
        {
            restrictions = restrictions with { AllowedNetworks = Networks(networks, errors) };
        }

        return restrictions.IsEmpty ? null : restrictions;
    }

    private static ImmutableArray<ProjectPattern> Patterns(IReadOnlyList<string> projects, FieldErrors errors)
    {
        if (projects.Count > MaxEntries)
        {
            errors.Add("projects", $"At most {MaxEntries} projects.");
            return [];
        }

        var patterns = ImmutableArray.CreateBuilder<ProjectPattern>(projects.Count);
        for (var i = 0; i < projects.Count; i++)
        {
            if (!ProjectPattern.TryParse(projects[i], out var pattern) || !Names.IsValidEntity(pattern.Entity)
                || (pattern.Project is { } name && !Names.IsValidProject(name)))
            {
                errors.Add($"projects[{i}]", $"'{projects[i]}' is not ENTITY/PROJECT or ENTITY/*.");
            }
            else if (!patterns.Contains(pattern))
            {
                patterns.Add(pattern);
            }
        }

        return patterns.ToImmutable();
    }

    private static ImmutableArray<System.Net.IPNetwork> Networks(IReadOnlyList<string> networks, FieldErrors errors)
    {
        if (networks.Count > MaxEntries)
        {
            errors.Add("allowedNetworks", $"At most {MaxEntries} networks.");
            return [];
        }

        var parsed = ImmutableArray.CreateBuilder<System.Net.IPNetwork>(networks.Count);
        for (var i = 0; i < networks.Count; i++)
        {
            if (!Hosting.TrustedProxies.TryParse(networks[i], out var network))
            {
                errors.Add($"allowedNetworks[{i}]", $"'{networks[i]}' is not an IP address or a CIDR network (e.g. 10.0.0.5, 10.0.0.0/8, fd00::/8).");
            }
            else if (!parsed.Contains(network))
            {
                parsed.Add(network);
            }
        }

        return parsed.ToImmutable();
    }

    /// <summary>
    /// Refuses project entries the owner may not read (one message for a project that does not exist and
    /// one the owner may not see: no oracle).
    /// </summary>
    public static void CheckOwner(KeyRestrictions? restrictions, Principal owner, DirectorySnapshot d, FieldErrors errors)
    {
        if (restrictions is null)
        {
            return;
        }

        for (var i = 0; i < restrictions.Projects.Length; i++)
        {
            var pattern = restrictions.Projects[i];
            var decision = AccessEvaluator.Evaluate(new AccessRequest(owner, pattern.Entity, pattern.Project, AccessAction.Read), d);
            if (!decision.IsAllowed)
            {
                errors.Add($"projects[{i}]", $"{owner.DisplayName} may not read {(pattern.Project is null ? "entity " + pattern.Entity : "project " + pattern)}: a key's projects are a subset of its owner's.");
            }
        }
    }

    /// <summary>
    /// A key made by a caller whose own key is limited to networks stays within them: it gets the caller's
    /// networks when it asks for none, and a network outside them is refused (403 <c>key_restricted</c>).
    /// (Read-only and project-limited keys change nothing on the admin API at all.)
    /// </summary>
    public static KeyRestrictions? WithinCaller(KeyRestrictions? requested, AdminCaller caller)
    {
        if (caller.Restrictions is not { AllowedNetworks.IsDefaultOrEmpty: false } own)
        {
            return requested;
        }

        if (requested is null || requested.AllowedNetworks.IsDefaultOrEmpty)
        {
            return (requested ?? new KeyRestrictions()) with { AllowedNetworks = own.AllowedNetworks };
        }

        RequireWithinCaller(requested, caller);
        return requested;
    }

    /// <summary>A key changed by a network-limited caller must stay within the caller's networks (lifting them is refused).</summary>
    public static void RequireWithinCaller(KeyRestrictions? result, AdminCaller caller)
    {
        if (caller.Restrictions is not { AllowedNetworks.IsDefaultOrEmpty: false } own)
        {
            return;
        }

        var networks = result?.AllowedNetworks ?? [];
        if (networks.IsDefaultOrEmpty || !networks.All(n => own.AllowedNetworks.Any(o => Contains(o, n))))
        {
            throw new Diagnostics.AdminProblemException(403, Diagnostics.ProblemCodes.KeyRestricted,
                $"Key {caller.KeyId} may be used only from some networks: a key it makes or changes must be limited to those networks (or a part of them).",
                null);
        }
    }

    private static bool Contains(System.Net.IPNetwork outer, System.Net.IPNetwork inner)
        => outer.BaseAddress.AddressFamily == inner.BaseAddress.AddressFamily && outer.PrefixLength <= inner.PrefixLength && outer.Contains(inner.BaseAddress);

    /// <summary>The restrictions as the key's view and its audit detail show them.</summary>
    public static (string Access, IReadOnlyList<string> Projects, IReadOnlyList<string> AllowedNetworks) View(KeyRestrictions? restrictions)
        => restrictions is null
            ? ("write", [], [])
            : (Wire.Of(restrictions.Access), [.. restrictions.Projects.Select(p => p.ToString())], [.. restrictions.AllowedNetworks.Select(n => n.ToString())]);

    /// <summary>For the audit: <c>access=read projects=ml/a,ml/b allowedNetworks=10.0.0.0/8</c>, or <c>unrestricted</c>.</summary>
    public static string Describe(KeyRestrictions? restrictions)
    {
        if (restrictions is null)
        {
            return "restrictions=none";
        }

        var (access, projects, networks) = View(restrictions);
        return $"access={access} projects={(projects.Count == 0 ? "any" : string.Join(',', projects))} allowedNetworks={(networks.Count == 0 ? "any" : string.Join(',', networks))}";
    }
}
