using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.Store;

namespace Gateway.Abuse;

/// <summary>
/// Audit events for things an attacker can repeat at will (failed authentications, refused
/// exchanges): at most a few a second, so a flood cannot fill the disk or queue on the store's write
/// lock. A store failure loses only the audit line; the refusal it records stands and is logged.
/// </summary>
internal sealed class SampledAudit(DirectoryService directory, TimeProvider time, int perSecond = 5)
{
    private readonly LogRateLimiter _limit = new(perSecond, time);

    /// <summary>Builds (which may read the store) and writes the event, when the rate allows; null builds nothing.</summary>
    public void Record<TState>(TState state, Func<TState, AuditEvent?> build)
    {
        if (!_limit.TryAcquire(out _))
        {
            return;
        }

        try
        {
            if (build(state) is { } audit)
            {
                directory.Write(_ => (new ChangeSet().Record(audit), 0));
            }
        }
        catch (StoreUnavailableException)
        {
        }
    }
}
