namespace Gateway.Policy.Model;

/// <summary>A user's role in their organization.</summary>
public enum OrgRole
{
    /// <summary>An ordinary member: no administrative rights.</summary>
    Member,
    /// <summary>Administers the organization: teams, users, service accounts, grants, audit.</summary>
    Admin,
}

/// <summary>A user's role in a team. Ordered: a higher value includes the lower ones.</summary>
public enum TeamRole
{
    /// <summary>Reads the team's Team-visibility projects.</summary>
    Viewer,
    /// <summary>Reads and writes the team's Team-visibility projects.</summary>
    Member,
    /// <summary>Member rights plus managing the team, its projects and its service accounts.</summary>
    Admin,
}

/// <summary>Who may see and write a project.</summary>
public enum Visibility
{
    /// <summary>Any authenticated principal reads and writes.</summary>
    Open,
    /// <summary>Any authenticated principal reads; writes as <see cref="Team"/>.</summary>
    Public,
    /// <summary>The owning team (its members, its service accounts, its org's service accounts). The default.</summary>
    Team,
    /// <summary>Explicit grants only, for everyone.</summary>
    Restricted,
}

/// <summary>A role granted on one project. Ordered: a higher value includes the lower ones.</summary>
public enum ProjectRole
{
    /// <summary>Reads the project.</summary>
    Viewer,
    /// <summary>Reads and writes the project.</summary>
    Contributor,
    /// <summary>Reads, writes and manages the project (visibility, grants, delete).</summary>
    Owner,
}

/// <summary>What a request does to a project.</summary>
public enum AccessAction
{
    /// <summary>Reads data.</summary>
    Read,
    /// <summary>Writes data (runs, files, traces).</summary>
    Write,
    /// <summary>Changes the project itself: visibility, grants, deletion.</summary>
    Manage,
}

/// <summary>Whether a service account belongs to an organization or to one team.</summary>
public enum ServiceAccountScope
{
    /// <summary>Org-scoped: every non-restricted project of the org; requires a default team.</summary>
    Organization,
    /// <summary>Team-scoped: its parent team's non-restricted projects, plus Open and Public ones.</summary>
    Team,
}

/// <summary>How a service account proves its identity.</summary>
public enum AuthenticationKind
{
    /// <summary>Holds gateway-issued API keys.</summary>
    BuiltIn,
    /// <summary>Presents JWTs from an external issuer; holds no keys.</summary>
    Federated,
}

/// <summary>How a service account reaches projects.</summary>
public enum AccessMode
{
    /// <summary>W&amp;B: by its scope (org or team), plus grants.</summary>
    Scope,
    /// <summary>Neptune: only projects it was explicitly granted.</summary>
    Explicit,
}

/// <summary>What kind of thing an entity name denotes.</summary>
public enum EntityKind
{
    /// <summary>A team.</summary>
    Team,
    /// <summary>A user's personal entity (same name as the user).</summary>
    Personal,
}
