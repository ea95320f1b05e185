using System.Net;
using Microsoft.AspNetCore.Http;

namespace Gateway.Explain;

/// <summary>What a refused request was, kept so that explain can replay it: never a credential, never more than a capped body.</summary>
internal sealed record RefusalRecord(
    string RequestId, DateTimeOffset At, string RouteId, string Method, string PathAndQuery, string? Host,
    IReadOnlyList<KeyValuePair<string, string>> Headers, byte[]? Body, bool BodyTruncated, string? Address,
    string? PrincipalId, string? Org, string? KeyId, string? AuthenticationFailure, int Status, string Code);

/// <summary>
/// The most recent refusals of this replica, in a fixed ring (<see cref="Capacity"/> entries, the oldest
/// overwritten): a refusal is recorded after its answer is written, off the allowed path. Credential
/// headers (Authorization, wandb-api-key, Cookie, Proxy-Authorization) are dropped; a body is kept up to
/// <see cref="MaxBody"/> bytes. Per replica: a request id refused on another replica is not found here.
/// </summary>
internal sealed class RefusalRing
{
    public const int Capacity = 1024;
    public const int MaxBody = 64 * 1024;
    private const int MaxHeaderBytes = 16 * 1024;
    // Any header that may carry a secret, in any spelling ('_' for '-', any case): never kept.
    private static readonly string[] SecretWords = ["auth", "key", "token", "cookie", "secret", "password", "session", "credential", "signature"];
    private readonly RefusalRecord?[] _ring = new RefusalRecord?[Capacity];
    private readonly Dictionary<string, RefusalRecord> _byId = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private int _next;

    public void Record(HttpContext context, string routeId, int status, string code, Policy.Model.Principal? principal, string? keyId, string? authenticationFailure, TimeProvider time)
    {
        var request = context.Request;
        var headers = new List<KeyValuePair<string, string>>();
        var size = 0;
        foreach (var (name, values) in request.Headers)
        {
            if (MayHoldASecret(name))
            {
                continue;
            }

            foreach (var value in values)
            {
                size += name.Length + (value?.Length ?? 0);
                if (size <= MaxHeaderBytes)
                {
                    headers.Add(new(name, value ?? ""));
                }
            }
        }

        var (body, truncated) = BufferedBody(request);
        var record = new RefusalRecord(Diagnostics.RequestIds.Of(context), time.GetUtcNow(), routeId, request.Method,
            request.Path.Value + RedactedQuery(request.QueryString.Value), request.Host.HasValue ? request.Host.Value : null, headers, body, truncated,
            context.Connection.RemoteIpAddress?.ToString(), principal?.Id, principal?.Org, keyId, authenticationFailure, status, code);
        lock (_lock)
        {
            if (_ring[_next] is { } old)
            {
                _byId.Remove(old.RequestId);
            }

            _ring[_next] = record;
            _byId[record.RequestId] = record;
            _next = (_next + 1) % Capacity;
        }
    }

    public RefusalRecord? Find(string requestId)
    {
        lock (_lock)
        {
            return _byId.GetValueOrDefault(requestId);
        }
    }

    private static bool MayHoldASecret(string header)
    {
        foreach (var word in SecretWords)
        {
            if (header.Contains(word, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    // A credential in the query string (refused, but sent) is kept as "REDACTED": the parameter's presence explains the refusal.
    private static string RedactedQuery(string? query)
    {
        if (string.IsNullOrEmpty(query))
        {
            return "";
        }

        var parts = query.TrimStart('?').Split('&');
        for (var i = 0; i < parts.Length; i++)
        {
            var equals = parts[i].IndexOf('=');
            var name = Uri.UnescapeDataString((equals < 0 ? parts[i] : parts[i][..equals]).Replace('+', ' '));
            if (Authentication.CredentialExtractor.IsCredentialQueryName(name.Trim()) || MayHoldASecret(name))
            {
                parts[i] = (equals < 0 ? parts[i] : parts[i][..equals]) + "=REDACTED";
            }
        }

        return "?" + string.Join('&', parts);
    }

    // The body as the gateway read it (buffered by the body-scope stage, so seekable); unread bodies are not read here.
    private static (byte[]? Body, bool Truncated) BufferedBody(HttpRequest request)
    {
        if (request.Body is not { CanSeek: true } stream || stream.Length == 0)
        {
            return (null, false);
        }

        var length = (int)Math.Min(stream.Length, MaxBody);
        var bytes = new byte[length];
        var position = stream.Position;
        stream.Position = 0;
        stream.ReadExactly(bytes);
        stream.Position = position;
        return (bytes, stream.Length > MaxBody);
    }

    /// <summary>The client address a replay is made from.</summary>
    public static IPAddress? AddressOf(RefusalRecord record) => IPAddress.TryParse(record.Address, out var address) ? address : null;
}
