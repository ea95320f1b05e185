using Gateway.Abuse;
using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.Hosting;
using Gateway.Keys;
using Gateway.Policy.Model;
using Gateway.Store;
using Microsoft.AspNetCore.Http;

namespace Gateway.Admin;

/// <summary>
/// Admin answers that reveal something about objects the caller cannot see. An import names a secret, so its answer is an oracle: "this value is somebody's key" was once a
/// 409. Every import is now treated as a credential guess. One refusal, <c>key_import_refused</c>,
/// whatever the reason (malformed, too weak, already anyone's key, revoked ones included), counted by
/// the failed-authentication limits (per client address and per caller; 429 beyond) and audited with
/// the reason in the caller's organization, never with the value. A federated subject already mapped
/// by an account the caller cannot manage is the same kind of probe (uniqueness must be enforced, so
/// the 409 stays; it is counted and audited like a guess).
/// </summary>
internal sealed class ProbeGuard(FailedAuthenticationLimiter limiter, DirectoryService directory, TimeProvider time)
{
    public const string Code = "key_import_refused";

    /// <summary>Returns when <paramref name="key"/> may be imported for <paramref name="owner"/>; throws the one refusal otherwise.</summary>
    public void Check(HttpContext http, AdminCaller caller, Principal owner, string key)
    {
        ThrowIfLimited(http, caller);
        var reason = !ApiKeyFormat.IsImportableLegacy(key) ? "malformed"
            : !ImportedKeyStrength.IsStrong(key) ? "weak"
            : directory.Store.FindKeyByHash(KeyHash.Of(key)) is not null ? "exists"
            : null;
        if (reason is null)
        {
            return;
        }

        RecordProbe(http, caller, "key.import_refused", owner.DisplayName, $"reason={reason}");
        throw Refused();
    }

    /// <summary>429 when this client or caller is over the failed-authentication limits.</summary>
    public void ThrowIfLimited(HttpContext http, AdminCaller caller)
    {
        if (limiter.IsLimited(http.Connection.RemoteIpAddress, Bucket(caller)))
        {
            http.Response.Headers.RetryAfter = limiter.SecondsUntilReset().ToString(System.Globalization.CultureInfo.InvariantCulture);
            throw new AdminProblemException(StatusCodes.Status429TooManyRequests, ProblemCodes.TooManyFailedAuthentications,
                "Too many refused probes or failed authentications from this client; retry after the indicated time.");
        }
    }

    /// <summary>A refusal that told the caller something about objects it may not see: counted and audited.</summary>
    public void RecordProbe(HttpContext http, AdminCaller caller, string action, string target, string detail)
    {
        limiter.RecordFailure(http.Connection.RemoteIpAddress, Bucket(caller));
        var now = time.UtcNowMillis();
        directory.Write(_ => (new ChangeSet().Record(caller.Audit(now, caller.Principal.Org, action, target, detail)), 0));
    }

    /// <summary>
    /// Runs a create whose name or email must be unique. A 409 <c>name_taken</c> / <c>email_taken</c>
    /// caused by an object of another organization (which the caller cannot see) is a probe: it stays
    /// a 409 (uniqueness must hold), and is counted against the failed-authentication limits and
    /// audited in the caller's organization with the value hashed, never in clear.
    /// </summary>
    public T CountingConflicts<T>(HttpContext http, AdminCaller caller, string action, string org, string? name, string? email, Func<T> create)
    {
        try
        {
            return create();
        }
        catch (AdminProblemException ex) when (ex.Problem.Code is ProblemCodes.NameTaken or ProblemCodes.EmailTaken
            && DirectoryRules.HeldElsewhere(directory.Current, org, ex.Problem.Code == ProblemCodes.NameTaken ? name : null, ex.Problem.Code == ProblemCodes.EmailTaken ? email : null))
        {
            RecordConflict(http, caller, action, org, ex.Problem.Code, ex.Problem.Code == ProblemCodes.NameTaken ? name! : email!.ToLowerInvariant());
            throw;
        }
    }

    /// <summary>A uniqueness conflict with something the caller cannot see: counted and audited, the value as a SHA-256 prefix only.</summary>
    public void RecordConflict(HttpContext http, AdminCaller caller, string action, string org, string code, string value)
    {
        var digest = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(value)))[..16].ToLowerInvariant();
        RecordProbe(http, caller, action, org, $"conflict={code} sha256={digest}");
    }

    private static string Bucket(AdminCaller caller) => "probe:" + caller.Principal.Id;

    public static AdminProblemException Refused()
        => new(StatusCodes.Status400BadRequest, Code, "This key cannot be imported: it is malformed, too weak, or not available. Create a new key instead.");
}
