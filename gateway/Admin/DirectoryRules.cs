using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.Policy.Model;

namespace Gateway.Admin;

/// <summary>Checks several admin writes share, each answering with the one problem it stands for.</summary>
internal static class DirectoryRules
{
    /// <summary>Organizations, teams and users share one namespace of entities.</summary>
    /// <summary>As <see cref="RequireFreeName"/> for a new team: a deleted team's name is free again to its own organization.</summary>
    public static void RequireFreeTeamName(DirectorySnapshot d, string name, string org)
    {
        if (d.RetiredTeams.TryGetValue(name, out var retired) && retired.Org == org && !d.Organizations.ContainsKey(name)
            && !d.Teams.ContainsKey(name) && !d.UsersByName.ContainsKey(name))
        {
            return;
        }

        RequireFreeName(d, name);
    }

    public static void RequireFreeName(DirectorySnapshot d, string name)
    {
        if (d.IsNameTaken(name))
        {
            throw AdminProblemException.Conflict(ProblemCodes.NameTaken, $"The name '{name}' is taken by an organization, team or user.");
        }
    }

    /// <summary>
    /// True when a taken name or email belongs to another organization than <paramref name="org"/>:
    /// the conflict then tells the caller that something it may not see exists, and is a probe.
    /// </summary>
    public static bool HeldElsewhere(DirectorySnapshot d, string org, string? name, string? email)
    {
        if (name is not null)
        {
            if ((d.Organizations.ContainsKey(name) && name != org)
                || (d.Teams.TryGetValue(name, out var team) && team.Org != org)
                || (d.RetiredTeams.TryGetValue(name, out var retired) && retired.Org != org)
                || (d.UsersByName.TryGetValue(name, out var user) && user.Org != org))
            {
                return true;
            }
        }

        return email is not null && d.UsersByEmail.Any(e => string.Equals(e.Key, email, StringComparison.OrdinalIgnoreCase) && e.Value.Org != org);
    }

    /// <summary>Emails are unique ignoring case (federated people map on them).</summary>
    public static void RequireFreeEmail(DirectorySnapshot d, string email)
    {
        if (d.UsersByEmail.Keys.Any(e => string.Equals(e, email, StringComparison.OrdinalIgnoreCase)))
        {
            throw AdminProblemException.Conflict(ProblemCodes.EmailTaken, "Another user has this email address.");
        }
    }

    /// <summary>Someone must always be able to create an organization: the last active operator stays one.</summary>
    public static void RequireNotLastOperator(DirectorySnapshot d, User user)
    {
        if (user.Operator && user.Active && d.UsersById.Values.Count(u => u.Operator && u.Active) <= 1)
        {
            throw AdminProblemException.Conflict(ProblemCodes.LastOperator, $"'{user.Username}' is the last active gateway operator: grant the role to another user first.");
        }
    }
}
