namespace Gateway.Federation;

/// <summary>Why a JWT or an exchange was refused: log and audit only, never told to the caller.</summary>
internal static class FederationReasons
{
    public const string TokenTooLarge = "jwt_too_large";
    public const string TokenMalformed = "jwt_malformed";
    public const string TokenHeaderRefused = "jwt_header_refused";
    public const string TokenClaimsInvalid = "jwt_claims_invalid";
    public const string IssuerUnknown = "jwt_issuer_unknown";
    public const string RawJwtNotAccepted = "jwt_not_accepted";
    public const string AlgorithmRefused = "jwt_algorithm_refused";
    public const string TypeRefused = "jwt_type_refused";
    public const string AudienceRefused = "jwt_audience_refused";
    public const string Expired = "jwt_expired";
    public const string NotYetValid = "jwt_not_yet_valid";
    public const string LifetimeTooLong = "jwt_lifetime_too_long";
    public const string KeyUnknown = "jwt_key_unknown";
    public const string SignatureInvalid = "jwt_signature_invalid";
    public const string SubjectUnmapped = "jwt_subject_unmapped";

    /// <summary>Two claim rules hold for the token (creation refuses overlaps, so never expected): nobody, fail closed.</summary>
    public const string RuleAmbiguous = "jwt_rule_ambiguous";
    public const string PrincipalInactive = "principal_inactive";
    public const string KeysUnavailable = "issuer_keys_unavailable";
}
