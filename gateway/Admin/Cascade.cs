using Gateway.Directory;
using Gateway.Policy.Model;
using Gateway.Store;

namespace Gateway.Admin;

/// <summary>What removing or deactivating a principal takes with it, in the same transaction.</summary>
internal static class Cascade
{
    /// <summary>Deletes the principal's grants and personal projects, and revokes its keys.</summary>
    public static void RemovePrincipal(DirectorySnapshot d, IGatewayStore store, Principal principal, DateTimeOffset now, ChangeSet changes)
    {
        foreach (var grant in d.Grants.Values.Where(g => g.PrincipalId == principal.Id))
        {
            changes.Remove(grant);
        }

        if (principal is User user)
        {
            foreach (var project in d.Projects.Values.Where(p => p.Entity == user.Username))
            {
                RemoveProject(d, project, changes);
            }
        }

        RevokeKeys(store, principal, now, changes);
    }

    /// <summary>Revokes every live key and access token of the principal: a reactivated account starts with none.</summary>
    public static void RevokeKeys(IGatewayStore store, Principal principal, DateTimeOffset now, ChangeSet changes)
    {
        foreach (var key in store.KeysOfOwner(principal.Id).Concat(store.LiveAccessTokensOfOwner(principal.Id, now)).Where(k => k.RevokedAt is null))
        {
            changes.Put(key with { RevokedAt = now });
        }
    }

    public static void RemoveProject(DirectorySnapshot d, Project project, ChangeSet changes)
    {
        changes.Remove(project);
        foreach (var grant in d.Grants.Values.Where(g => g.Project == project.Key))
        {
            changes.Remove(grant);
        }
    }
}
