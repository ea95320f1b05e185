using Gateway.Authentication;
using Gateway.Directory;
using Gateway.Hosting;
using Gateway.Store;
using Microsoft.AspNetCore.Http;

namespace Gateway.Abuse;

/// <summary>
/// Audits failed authentications that name a key the directory knows (a wrong secret for a real key
/// id, a revoked or expired key, a deactivated owner) in the owner's organization, sampled (see
/// <see cref="SampledAudit"/>). Failures naming no known key have no organization to audit them in;
/// they are logged (rate-limited) and counted in the metrics. Never the secret.
/// </summary>
internal sealed class AuthenticationFailureAudit(DirectoryService directory, TimeProvider time, Configuration.LimitsOptions limits)
{
    private readonly SampledAudit _audit = new(directory, time, limits.AuditedFailuresPerSecond);

    public void Record(HttpContext context, in AuthenticationResult result, string where)
    {
        if (result.KeyIdForLog is { } keyId)
        {
            _audit.Record((Self: this, Context: context, KeyId: keyId, Reason: result.FailureReason, Where: where),
                static s => s.Self.Build(s.Context, s.KeyId, s.Reason, s.Where));
        }
    }

    // Only reached a few times a second: one indexed lookup of the presented key id.
    private AuditEvent? Build(HttpContext context, string keyId, string reason, string where)
    {
        if (directory.Store.FindKeyById(keyId) is not { } key || !directory.Current.TryGetPrincipal(key.OwnerId, out var owner))
        {
            return null;
        }

        return new AuditEvent
        {
            At = time.UtcNowMillis(), Org = owner.Org, Action = "auth.failed", Actor = "-", KeyId = keyId, Target = owner.DisplayName,
            Address = context.Connection.RemoteIpAddress?.ToString(), Detail = $"reason={reason} at={where} request={Diagnostics.RequestIds.Of(context)}",
        };
    }
}
