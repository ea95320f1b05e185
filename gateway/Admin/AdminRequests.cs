namespace Gateway.Admin;

// Bodies of admin requests. Enum-valued fields are strings so that errors can name the field and
// list the accepted values; unknown fields are refused by AdminJson.

internal sealed record CreateTeamRequest(string? Name);

internal sealed record CreateOrgRequest(string? Name, CreateOrgAdminRequest? Admin);

internal sealed record CreateOrgAdminRequest(string? Username, string? Email);

internal sealed record CreateUserRequest(string? Username, string? Email, string? OrgRole, string? DefaultEntity);

internal sealed record UpdateUserRequest(string? OrgRole, string? Email, string? DefaultEntity, string? Name);

internal sealed record RoleRequest(string? Role);

internal sealed record CreateProjectRequest(string? Name, string? Visibility);

internal sealed record UpdateProjectRequest(string? Visibility);

internal sealed record CreateOrgServiceAccountRequest(string? Name, string? DefaultTeam, string? Access, bool? GrantAllCurrentProjects, string? Authentication);

internal sealed record UpdateServiceAccountRequest(string? DefaultTeam);

internal sealed record CreateTeamServiceAccountRequest(string? Name, string? Authentication, string? Issuer, string? Subject, string? Access, bool? GrantAllCurrentProjects,
    List<CreateFederationRuleRequest>? Rules = null);

internal sealed record CreateKeyRequest(string? Name, string? Format, string? Key, DateTimeOffset? ExpiresAt,
    string? Access = null, IReadOnlyList<string>? Projects = null, IReadOnlyList<string>? AllowedNetworks = null);

/// <summary>A key's changes: each field given replaces the key's (<c>projects: []</c> lifts the project list).</summary>
internal sealed record UpdateKeyRequest(string? Name, DateTimeOffset? ExpiresAt, bool? NeverExpires,
    string? Access = null, IReadOnlyList<string>? Projects = null, IReadOnlyList<string>? AllowedNetworks = null);

internal sealed record RotateKeyRequest(string? Name, long? OverlapSeconds, DateTimeOffset? ExpiresAt);
