using Gateway.Directory;
using Gateway.Diagnostics;
using Gateway.Hosting;
using Gateway.Policy.Model;
using Gateway.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gateway.Admin;

/// <summary>
/// A key's name and expiry (<c>PATCH /keys/{keyId}</c>) and its rotation (<c>POST /keys/{keyId}/rotate</c>):
/// a new key for the same owner, the old one kept working for an overlap window, so a job can be moved
/// to the new secret before the old one stops. Both by the owner's managers (the rule for acting on a
/// principal: minting for it needs every right it holds); anything else answers as a key that does not exist.
/// </summary>
internal static class KeyRotationEndpoints
{
    /// <summary>The overlap when none is asked for: a day, time for a nightly job to pick the new key up.</summary>
    public static readonly TimeSpan DefaultOverlap = TimeSpan.FromDays(1);

    public static readonly TimeSpan MaxOverlap = TimeSpan.FromDays(30);

    public static void Map(RouteGroupBuilder admin)
    {
        admin.MapPatch("/keys/{keyId}", UpdateAsync);
        admin.MapPost("/keys/{keyId}/rotate", RotateAsync);
    }

    private static async Task<IResult> UpdateAsync(HttpContext http, string keyId, DirectoryService directory, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        var body = await AdminJson.ReadAsync<UpdateKeyRequest>(http);
        var now = time.UtcNowMillis();
        var errors = new FieldErrors();
        if (body.Name is not null)
        {
            errors.Label("name", body.Name);
        }

        if (body.ExpiresAt is { } expires && expires <= now)
        {
            errors.Add("expiresAt", "'expiresAt' must be in the future.");
        }

        if (body.ExpiresAt is not null && body.NeverExpires == true)
        {
            errors.Add("neverExpires", "Send either 'expiresAt' or 'neverExpires', not both.");
        }

        if (body.Name is null && body.ExpiresAt is null && body.NeverExpires is null && body.Access is null && body.Projects is null && body.AllowedNetworks is null)
        {
            errors.Add("name", "Send 'name', 'expiresAt', 'neverExpires', 'access', 'projects' or 'allowedNetworks'.");
        }

        var view = directory.Write(d =>
        {
            var (key, owner) = RequireManagedKey(d, directory.Store, caller, keyId, now);
            // Parsed over the key's current restrictions, inside the lock: fields not sent stay as they are.
            var restrictions = KeyRestrictionFields.Parse(body.Access, body.Projects, body.AllowedNetworks, errors, key.Restrictions);
            KeyRestrictionFields.CheckOwner(restrictions, owner, d, errors);
            errors.ThrowIfAny();
            if (KeyRestrictionFields.Describe(restrictions) != KeyRestrictionFields.Describe(key.Restrictions))
            {
                KeyRestrictionFields.RequireWithinCaller(restrictions, caller);
            }
            var updated = key with
            {
                Name = body.Name ?? key.Name,
                ExpiresAt = body.NeverExpires == true ? null : body.ExpiresAt ?? key.ExpiresAt,
                Restrictions = restrictions,
            };
            var detail = $"keyId={key.KeyId}"
                + (updated.Name != key.Name ? " name changed" : "")
                + (updated.ExpiresAt != key.ExpiresAt ? $" expiresAt={(updated.ExpiresAt is { } e ? e.ToString("O") : "never")}" : "")
                + (KeyRestrictionFields.Describe(updated.Restrictions) != KeyRestrictionFields.Describe(key.Restrictions) ? " " + KeyRestrictionFields.Describe(updated.Restrictions) : "");
            var changes = new ChangeSet().Put(updated).Record(caller.Audit(now, owner.Org, "key.update", owner.DisplayName, detail));
            return (changes, KeyView.Of(updated, owner.DisplayName));
        });
        return AdminJson.Json(view);
    }

    private static async Task<IResult> RotateAsync(HttpContext http, string keyId, DirectoryService directory, KeyMinting minting, TimeProvider time)
    {
        var caller = AdminCaller.From(http);
        var body = await AdminJson.ReadOptionalAsync<RotateKeyRequest>(http) ?? new RotateKeyRequest(null, null, null);
        var now = time.UtcNowMillis();
        var errors = new FieldErrors();
        var overlap = DefaultOverlap;
        if (body.OverlapSeconds is { } seconds)
        {
            if (seconds < 0 || seconds > MaxOverlap.TotalSeconds)
            {
                errors.Add("overlapSeconds", $"'overlapSeconds' must be 0 to {MaxOverlap.TotalSeconds:0} (30 days).");
            }
            else
            {
                overlap = TimeSpan.FromSeconds(seconds);
            }
        }

        if (body.Name is not null)
        {
            errors.Label("name", body.Name);
        }

        if (body.ExpiresAt is { } expires && expires <= now)
        {
            errors.Add("expiresAt", "'expiresAt' must be in the future.");
        }

        var view = directory.Write(d =>
        {
            var (key, owner) = RequireManagedKey(d, directory.Store, caller, keyId, now);
            errors.ThrowIfAny();
            if (!owner.Active)
            {
                throw AdminProblemException.Conflict(owner is User ? ProblemCodes.UserDeactivated : ProblemCodes.ServiceAccountDeactivated,
                    $"'{owner.DisplayName}' is deactivated: reactivate it before rotating its keys.");
            }

            // The new key keeps the old one's format where SDKs depend on it (40 characters for old
            // wandb SDKs; an imported legacy key is replaced by a minted one of the same length) and its
            // lifetime: a key made to last 90 days is replaced by one that lasts 90 days from now.
            var format = key.Format == ApiKeyFormatKind.Standard ? "standard" : "legacy40";
            var lifetime = key.ExpiresAt is { } old ? old - key.CreatedAt : (TimeSpan?)null;
            var request = new CreateKeyRequest(body.Name ?? key.Name, format, null, body.ExpiresAt ?? (lifetime is { } l ? Later(now, l) : null));
            // The new key keeps the old one's restrictions: a rotation never widens what a key may do.
            var (changes, created) = minting.Plan(directory.Store, d, owner, request, key.Restrictions, caller, now);
            var overlapUntil = now + overlap;
            var previousExpiresAt = key.ExpiresAt is { } current && current < overlapUntil ? current : overlapUntil;
            changes.Put(key with { ExpiresAt = previousExpiresAt })
                .Record(caller.Audit(now, owner.Org, "key.rotate", owner.DisplayName, $"keyId={key.KeyId} replacedBy={created.KeyId} previousExpiresAt={previousExpiresAt:O}"));
            return (changes, new RotatedKeyView(created.KeyId, created.Key, created.Name, created.Owner, created.Format, created.CreatedAt, created.ExpiresAt,
                created.Access, created.Projects, created.AllowedNetworks, key.KeyId, previousExpiresAt));
        });
        return AdminJson.Json(view, 201);
    }

    // now + lifetime, or the latest time there is for a key made to outlive the calendar (9999-12-31).
    private static DateTimeOffset Later(DateTimeOffset now, TimeSpan lifetime)
        => lifetime >= DateTimeOffset.MaxValue - now ? DateTimeOffset.MaxValue.AddDays(-1) : now + lifetime;

    // A managed key (KeyEndpoints.RequireManagedKey) that has not expired: an expired key is replaced by a new one, never revived.
    private static (ApiKey Key, Principal Owner) RequireManagedKey(DirectorySnapshot d, IGatewayStore store, AdminCaller caller, string keyId, DateTimeOffset now)
    {
        var (key, owner) = KeyEndpoints.RequireManagedKey(d, store, caller, keyId);
        if (key.ExpiresAt is { } expires && expires <= now)
        {
            throw AdminProblemException.Conflict(ProblemCodes.KeyExpired, $"Key '{keyId}' expired at {expires:O}: create a new key instead.");
        }

        return (key, owner);
    }
}
