using Gateway.Keys;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;

namespace Gateway.Authentication;

/// <summary>
/// What one connection's credential header last said, so that an SDK sending the same key on a
/// keep-alive connection has it parsed, checksummed and hashed once, not on every request. Kestrel
/// hands back the very same string for a known header (Authorization is one) whose bytes repeat on
/// a connection; a reading is reused only for that same string instance and the same slice of it,
/// and everything it holds (<see cref="Credential"/>, <see cref="KeyFacts"/>) is a pure function of
/// that text. Everything that depends on the store, the time or the caller — the cache and store
/// lookup, revocation, expiry, the owner, the failure limits, the decision — still runs on every
/// request.
/// </summary>
/// <remarks>
/// It lives in the connection's items and dies with the connection, as Kestrel's own copy of the
/// header does: no secret outlives the connection that sent it. HTTP/1.x only: its requests on a
/// connection come one after another, while HTTP/2 streams run concurrently and the connection's
/// items are a plain dictionary. A reading is remembered the second time the same string is seen, so
/// a client that changes its key on every request (a load generator) costs one reference write, not
/// an allocation.
/// </remarks>
internal sealed class ConnectionCredentialMemo
{
    private static readonly object ItemKey = new();

    private string? _seen;
    // Swapped whole: a reader never pairs one header with another's reading.
    private volatile Reading? _reading;

    /// <summary>The memo of this request's connection, or null (HTTP/2 or later, or no connection items).</summary>
    public static ConnectionCredentialMemo? Of(HttpContext context)
    {
        var protocol = context.Request.Protocol;
        if (!HttpProtocol.IsHttp11(protocol) && !HttpProtocol.IsHttp10(protocol))
        {
            return null;
        }

        var items = context.Features.Get<IConnectionItemsFeature>()?.Items;
        if (items is null)
        {
            return null;
        }

        if (items.TryGetValue(ItemKey, out var value) && value is ConnectionCredentialMemo memo)
        {
            return memo;
        }

        memo = new ConnectionCredentialMemo();
        items[ItemKey] = memo;
        return memo;
    }

    /// <summary>The credential parsed from this very Authorization header string before, if it was.</summary>
    public bool TryGetCredential(string authorization, out Credential credential)
    {
        if (_reading is { } reading && ReferenceEquals(reading.Credential.Header, authorization))
        {
            credential = reading.Credential;
            return true;
        }

        credential = default;
        return false;
    }

    /// <summary>The key facts of this very credential (same header string, same slice), if known.</summary>
    public bool TryGetFacts(in Credential credential, out KeyFacts facts)
    {
        if (_reading is { } reading && reading.Credential.IsSameReading(credential))
        {
            facts = new KeyFacts(reading.Shape, reading.IsToken, reading.KeyId, reading.Hash);
            return true;
        }

        facts = default;
        return false;
    }

    /// <summary>
    /// Notes a credential read from the Authorization header and its facts: remembered from the second
    /// time its header string is seen. Only Basic and Bearer readings, which only the Authorization
    /// header's parse makes, so a remembered reading is always what that parse gives for its string.
    /// </summary>
    public void Remember(in Credential credential, in KeyFacts facts)
    {
        var header = credential.Header;
        if (header is null || credential.Source is not (CredentialSource.Basic or CredentialSource.Bearer)
            || (facts.Shape == KeyShape.Malformed && !facts.IsToken))
        {
            return;
        }

        if (!ReferenceEquals(_seen, header))
        {
            _seen = header;
            return;
        }

        _reading = new Reading(credential, facts.Shape, facts.IsToken, facts.KeyId.IsEmpty ? null : facts.KeyId.ToString(), facts.Hash);
    }

    private sealed record Reading(Credential Credential, KeyShape Shape, bool IsToken, string? KeyId, KeyHash Hash);
}
