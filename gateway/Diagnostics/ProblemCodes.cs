namespace Gateway.Diagnostics;

/// <summary>Stable <c>code</c> values of problem+json responses. Never rename one once shipped.</summary>
internal static class ProblemCodes
{
    public const string CredentialsRequired = "credentials_required";
    public const string InvalidCredentials = "invalid_credentials";
    public const string AmbiguousCredentials = "ambiguous_credentials";
    public const string CredentialsInQuery = "credentials_in_query";
    public const string StoreUnavailable = "store_unavailable";
    public const string IssuerUnavailable = "issuer_unavailable";
    public const string TooManyFailedAuthentications = "too_many_failed_authentications";
    public const string NotFound = "not_found";

    /// <summary>No route (proxy), admin endpoint or console page has this path.</summary>
    public const string RouteNotFound = "route_not_found";
    public const string InvalidBody = "invalid_body";
    public const string InvalidFields = "invalid_fields";
    public const string InvalidQuery = "invalid_query";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string BodyTooLarge = "body_too_large";
    public const string ReservedHeader = "reserved_header";
    public const string InvalidHeader = "invalid_header";
    public const string AmbiguousFraming = "ambiguous_framing";
    public const string InvalidPath = "invalid_path";
    public const string InvalidScope = "invalid_scope";
    public const string AmbiguousName = "ambiguous_name";
    public const string GatewayMisconfigured = "gateway_misconfigured";
    public const string GatewayError = "gateway_error";
    public const string UpstreamCredentialMissing = "upstream_credential_missing";
    public const string UpstreamUnavailable = "upstream_unavailable";
    public const string UpstreamTimeout = "upstream_timeout";
    public const string UpstreamResponseUnreadable = "upstream_response_unreadable";
    public const string IdLookupUnavailable = "id_lookup_unavailable";

    public const string OrgNotFound = "org_not_found";
    public const string TeamNotFound = "team_not_found";
    public const string UserNotFound = "user_not_found";
    public const string ProjectNotFound = "project_not_found";
    public const string PrincipalNotFound = "principal_not_found";
    public const string ServiceAccountNotFound = "service_account_not_found";
    public const string KeyNotFound = "key_not_found";
    public const string MembershipNotFound = "membership_not_found";
    public const string GrantNotFound = "grant_not_found";

    public const string OrgAdminRequired = "org_admin_required";
    public const string OperatorRequired = "operator_required";
    public const string LastOperator = "last_operator";
    public const string TeamAdminRequired = "team_admin_required";
    public const string NotProjectManager = "not_project_manager";
    public const string NotKeyOwner = "not_key_owner";
    public const string KeyRestricted = Policy.Access.DenyReasons.KeyRestricted;
    public const string RateLimited = "rate_limited";
    public const string QuotaExceeded = "quota_exceeded";
    public const string BodyNotForwarded = "body_not_forwarded";
    public const string ForwardAuthUnsupported = "forward_auth_unsupported";
    public const string AuthorizerCallerRefused = "authorizer_caller_refused";
    public const string InvalidCheckRequest = "invalid_check_request";

    public const string NameTaken = "name_taken";
    public const string EmailTaken = "email_taken";
    public const string SubjectTaken = "subject_taken";
    public const string KeyExists = "key_exists";
    public const string KeyExpired = "key_expired";
    public const string ServiceAccountDeactivated = "service_account_deactivated";
    public const string UserDeactivated = "user_deactivated";
    public const string FederatedAccountHasNoKeys = "federated_account_has_no_keys";
    public const string IssuerNotFound = "issuer_not_found";
    public const string IssuerExists = "issuer_exists";
    public const string IssuerInUse = "issuer_in_use";
    public const string IssuerFromConfiguration = "issuer_from_configuration";
    public const string FederationRuleOverlap = "federation_rule_overlap";
    public const string FederationRuleNotFound = "federation_rule_not_found";
    public const string FederationRuleLimit = "federation_rule_limit";
    public const string ServiceAccountNotFederated = "service_account_not_federated";
}
