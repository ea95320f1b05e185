using Gateway.Authentication;
using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.Hosting;
using Gateway.Store;
using Microsoft.AspNetCore.Http;

namespace Gateway.Abuse;

/// <summary>
/// Audits failed authentications that name a key the directory knows (a wrong secret for a real key
/// id, a revoked or expired key, a deactivated owner) in the owner's organization, at most a few a
/// second so a flood cannot fill the disk. Failures naming no known key have no organization to
/// audit them in; they are logged (rate-limited) and counted in the metrics. Never the secret.
/// </summary>
internal sealed class AuthenticationFailureAudit(DirectoryService directory, TimeProvider time)
{
    private readonly LogRateLimiter _limit = new(5, time);

    public void Record(HttpContext context, in AuthenticationResult result, string where)
    {
        if (result.KeyIdForLog is not { } keyId || !_limit.TryAcquire(out _))
        {
            return;
        }

        try
        {
            var key = directory.Store.FindKeyById(keyId);
            if (key is null || !directory.Current.TryGetPrincipal(key.OwnerId, out var owner))
            {
                return;
            }

            var audit = new AuditEvent
            {
                At = time.UtcNowMillis(), Org = owner.Org, Action = "auth.failed", Actor = "-", KeyId = keyId, Target = owner.DisplayName,
                Address = context.Connection.RemoteIpAddress?.ToString(), Detail = $"reason={result.FailureReason} at={where}",
            };
            directory.Write(_ => (new ChangeSet().Record(audit), 0));
        }
        catch (StoreUnavailableException)
        {
            // The refusal stands either way; only its audit line is lost (the log has it).
        }
    }
}
