using Gateway.Diagnostics;
using Gateway.Keys;
using Gateway.Policy.Model;
using Gateway.Store;

namespace Gateway.Admin;

/// <summary>
/// Creates a key for a principal, or imports an existing legacy key. Only the SHA-256 of the whole
/// key is stored; the secret exists in the create response and nowhere else.
/// </summary>
internal sealed class KeyMinting(ApiKeyFormat format)
{
    /// <summary>Checks a creation's fields; returns the restrictions it asks for (checked against the owner by <see cref="Plan"/>).</summary>
    public static KeyRestrictions? Validate(CreateKeyRequest body, FieldErrors errors, DateTimeOffset now)
    {
        errors.Label("name", body.Name);
        // importedLegacy and accessToken are formats the gateway assigns, never ones a caller asks for.
        var kind = errors.Enum("format", body.Format, ApiKeyFormatKind.Standard, ApiKeyFormatKind.Standard, ApiKeyFormatKind.Legacy40);
        if (body.Key is not null && kind != ApiKeyFormatKind.Legacy40)
        {
            errors.Add("format", "To import a key, send format legacy40 with 'key'.");
        }

        if (body.ExpiresAt is { } expires && expires <= now)
        {
            errors.Add("expiresAt", "'expiresAt' must be in the future.");
        }

        return KeyRestrictionFields.Parse(body.Access, body.Projects, body.AllowedNetworks, errors);
    }

    private (ApiKey Stored, CreatedKeyView View) Create(IGatewayStore store, Principal owner, CreateKeyRequest body, KeyRestrictions? restrictions, DateTimeOffset now)
    {
        var kind = body.Format is null ? ApiKeyFormatKind.Standard : Wire.TryParse<ApiKeyFormatKind>(body.Format, out var k) ? k : ApiKeyFormatKind.Standard;
        string keyId;
        string? secret;
        if (body.Key is { } imported)
        {
            // ProbeGuard checked it before the write lock; this catches two imports of one value racing.
            if (store.FindKeyByHash(KeyHash.Of(imported)) is not null)
            {
                throw ProbeGuard.Refused();
            }

            kind = ApiKeyFormatKind.ImportedLegacy;
            keyId = NewUnusedId(store, () => Base62.Random(ApiKeyFormat.StandardIdLength));
            secret = imported;
        }
        else
        {
            (keyId, secret) = Mint(store, kind);
        }

        var stored = new ApiKey
        {
            KeyId = keyId, Hash = KeyHash.Of(secret).ToArray(), OwnerId = owner.Id, Name = body.Name!, Format = kind,
            CreatedAt = now, ExpiresAt = body.ExpiresAt, Restrictions = restrictions,
        };
        // An imported key is the caller's own secret: it is never echoed back.
        var (access, projects, networks) = KeyRestrictionFields.View(restrictions);
        var view = new CreatedKeyView(keyId, body.Key is null ? secret : null, stored.Name, owner.DisplayName, Wire.Of(kind), now, stored.ExpiresAt, access, projects, networks);
        return (stored, view);
    }

    /// <summary>
    /// The whole write of a key creation or import for <paramref name="owner"/>: the key record and
    /// its audit event, planned inside the directory's write lock.
    /// </summary>
    /// <remarks><paramref name="restrictions"/> are checked against the owner's rights in <paramref name="d"/> here, inside the write lock.</remarks>
    public (ChangeSet Changes, CreatedKeyView View) Plan(IGatewayStore store, Directory.DirectorySnapshot d, Principal owner, CreateKeyRequest body, KeyRestrictions? restrictions, AdminCaller caller, DateTimeOffset now)
    {
        restrictions = KeyRestrictionFields.WithinCaller(restrictions, caller);
        var errors = new FieldErrors();
        KeyRestrictionFields.CheckOwner(restrictions, owner, d, errors);
        errors.ThrowIfAny();
        var (stored, view) = Create(store, owner, body, restrictions, now);
        var detail = $"keyId={stored.KeyId}" + (owner.Id == caller.Principal.Id || owner is not User ? "" : " on behalf of the user")
            + (restrictions is null ? "" : " " + KeyRestrictionFields.Describe(restrictions));
        var changes = new ChangeSet().Put(stored)
            .Record(caller.Audit(now, owner.Org, body.Key is null ? "key.create" : "key.import", owner.DisplayName, detail));
        return (changes, view);
    }

    private (string KeyId, string Key) Mint(IGatewayStore store, ApiKeyFormatKind kind)
    {
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var (keyId, key) = format.Mint(kind);
            if (store.FindKeyById(keyId) is null && store.FindKeyByHash(KeyHash.Of(key)) is null)
            {
                return (keyId, key);
            }
        }

        throw new InvalidOperationException("Could not mint an unused key id.");
    }

    private static string NewUnusedId(IGatewayStore store, Func<string> next)
    {
        for (var attempt = 0; attempt < 8; attempt++)
        {
            var id = next();
            if (store.FindKeyById(id) is null)
            {
                return id;
            }
        }

        throw new InvalidOperationException("Could not find an unused key id.");
    }
}
