namespace Gateway.Diagnostics;

/// <summary>Every log event id of the gateway, in one place so they stay unique and stable.</summary>
internal static class EventIds
{
    public const int Bootstrapped = 1003;
    public const int BootstrapSkipped = 1004;
    public const int StoreFileTooOpen = 1005;
    public const int CertificateReloaded = 1006;
    public const int CertificateReloadFailed = 1007;
    public const int IssuersReloaded = 1008;
    public const int IssuerReloadRejected = 1009;
    public const int ListenersBound = 1010;
    public const int OperatorGranted = 1011;
    public const int ConfigReloaded = 1012;
    public const int ConfigReloadRefused = 1013;

    public const int AuthenticationFailed = 2001;
    public const int StoreUnavailable = 2002;
    public const int RequestRefused = 2003;
    public const int AccessDenied = 2004;
    public const int InvalidScope = 2005;
    public const int AttributionDropped = 2006;
    public const int UpstreamFailed = 2007;
    public const int UpstreamCredentialMissing = 2008;
    public const int AuthenticationFailuresSuppressed = 2009;
    public const int UnexpectedFailure = 2010;
    public const int IdLookupFailed = 2011;
    public const int IdLookupUnavailable = 2012;
    public const int ResponseRewriteFailed = 2013;
    public const int ShadowWouldDeny = 2014;
    public const int IdLearnFailed = 2015;
    public const int IdRebindRefused = 2016;

    public const int AdminActionDenied = 3001;
    public const int ConsoleOidcSignedIn = 3101;
    public const int ConsoleOidcRefused = 3102;
    public const int ConsoleOidcFailed = 3103;

    public const int IssuerKeysFetched = 5001;
    public const int IssuerKeysFetchFailed = 5002;
    public const int IssuerKeysRecovered = 5003;
    public const int JwtSignatureRefused = 5004;
    public const int TokenExchanged = 5005;
    public const int TokenExchangeRefused = 5006;
    public const int TokenExchangeFailuresSuppressed = 5007;
    public const int AccessTokensPurged = 5008;
    public const int JwtSubjectUnmapped = 5009;
    public const int JwtRuleUnmatched = 5010;

    public const int LastUsedFlushed = 4001;
    public const int LastUsedFlushFailed = 4002;
    public const int StoreConnectionLost = 4003;
    public const int StoreReconnected = 4004;
    public const int DirectoryCaughtByPoll = 4005;
    public const int StoreOpened = 4006;
    public const int UsageFlushFailed = 4007;
    public const int UsagePurged = 4008;
}
