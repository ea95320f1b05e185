using Gateway.Policy.Model;

namespace Gateway.Store;

/// <summary>
/// Everything one admin action changes, applied to the store in one transaction and then to the
/// in-memory directory: all of it or none of it.
/// </summary>
internal sealed class ChangeSet
{
    private readonly List<Change> _changes = [];
    private readonly List<AuditEvent> _audit = [];

    public IReadOnlyList<Change> Changes => _changes;

    public IReadOnlyList<AuditEvent> Audit => _audit;

    public bool IsEmpty => _changes.Count == 0 && _audit.Count == 0;

    /// <summary>
    /// False for audit events and newly minted tokens (whatever is stored with the access tokens:
    /// exchanged tokens, console sessions) only: those change no snapshot and no other replica's cache
    /// (tokens are found by hash in the store), so they need no new directory version and never wait
    /// for another replica. A revoked or deleted token does touch it.
    /// </summary>
    public bool TouchesDirectory => _changes.Exists(c => c.Delete
        || c.Record is not ApiKey { RevokedAt: null } key || BsonMapping.CollectionOf(key) != Collections.AccessTokens);

    /// <summary>True when it stores an imported legacy key: from then on an unchecked 40-character key can be real.</summary>
    public bool AddsImportedKey => _changes.Exists(c => c.Record is ApiKey { Format: ApiKeyFormatKind.ImportedLegacy } && !c.Delete);

    /// <summary>
    /// What this change set changes that key caches hold: key hashes, and principals whose keys must be
    /// looked at again. The writing replica and every other one (through the store's change record)
    /// invalidate from this one list.
    /// </summary>
    public (List<byte[]> Keys, List<string> Principals) CachedThings()
    {
        var keys = new List<byte[]>();
        var principals = new List<string>();
        foreach (var (record, _) in _changes)
        {
            switch (record)
            {
                case ApiKey key:
                    keys.Add(key.Hash);
                    break;
                case Principal principal:
                    principals.Add(principal.Id);
                    break;
            }
        }

        return (keys, principals);
    }

    public ChangeSet Put(object record)
    {
        CheckType(record);
        _changes.Add(new Change(record, Delete: false));
        return this;
    }

    public ChangeSet Remove(object record)
    {
        CheckType(record);
        _changes.Add(new Change(record, Delete: true));
        return this;
    }

    /// <summary>Everything <paramref name="other"/> holds, in order, so one transaction carries both.</summary>
    public ChangeSet Append(ChangeSet other)
    {
        _changes.AddRange(other._changes);
        _audit.AddRange(other._audit);
        return this;
    }

    public ChangeSet Record(AuditEvent audit)
    {
        _audit.Add(audit);
        return this;
    }

    private static void CheckType(object record)
    {
        if (record is not (Organization or Team or User or ServiceAccount or Project or ProjectGrant or ApiKey or TrustedIssuer))
        {
            throw new ArgumentException($"{record.GetType().Name} is not a directory record.", nameof(record));
        }
    }
}

/// <summary>One upsert or delete of a directory record.</summary>
internal readonly record struct Change(object Record, bool Delete);
