using System.Text.Json;
using Gateway.Authentication;
using Gateway.Configuration;
using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.Hosting;
using Gateway.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Gateway.Federation;

/// <summary>
/// <c>POST /oidc/token</c>: the RFC 7523 JWT-bearer grant exactly as the wandb SDK sends it (form
/// body, no client authentication). A bad request or assertion answers 400 with an OAuth error code
/// and one description that never says which check failed — never 429 or 5xx, which the SDK would
/// retry. Only the gateway being unable to decide (issuer keys or store unavailable) answers 503.
/// </summary>
internal sealed partial class TokenExchangeEndpoint(
    FederatedTokenValidator validator,
    AccessTokenMinting minting,
    DirectoryService directory,
    FederationOptions options,
    TimeProvider time,
    Metrics.GatewayMetrics metrics,
    Configuration.LimitsOptions limits,
    ILogger<TokenExchangeEndpoint> logger)
{
    public const string Path = "/oidc/token";
    public const string JwtBearerGrant = "urn:ietf:params:oauth:grant-type:jwt-bearer";

    // Failed exchanges are logged and audited at most a few a second; the rest are counted.
    private readonly LogRateLimiter _failureLog = new(20, time);
    private readonly Abuse.SampledAudit _failureAudit = new(directory, time, limits.AuditedFailuresPerSecond);

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        // Ahead of any proxy route on the same path: the gateway answers the exchange itself.
        endpoints.MapPost(Path, (HttpContext http, TokenExchangeEndpoint endpoint) => endpoint.HandleSafelyAsync(http))
            .WithMetadata(ListenerMetadata.Proxy)
            .WithOrder(-1);
    }

    // Fail closed on the unforeseen: 503 (the SDK retries), never a 500 and never a token.
    private async Task HandleSafelyAsync(HttpContext http)
    {
        try
        {
            await HandleAsync(http);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && !http.Response.HasStarted)
        {
            Log.Unexpected(logger, ex.GetType().Name);
            http.Response.Clear();
            await UnavailableAsync(http, "The gateway could not process this exchange; retry shortly.", 5);
        }
    }

    private async Task HandleAsync(HttpContext http)
    {
        var request = http.Request;
        if (CredentialExtractor.Extract(request).Status == CredentialStatus.InQuery)
        {
            await ErrorAsync(http, "invalid_request", "Send the assertion in the form body, never in the URL.");
            return;
        }

        if (!MediaType.Is(request.ContentType, "application/x-www-form-urlencoded"))
        {
            await ErrorAsync(http, "invalid_request", "Send Content-Type: application/x-www-form-urlencoded.");
            return;
        }

        var body = await ReadBodyAsync(http, options.MaxTokenBytes + 4096);
        if (body is null || !TokenRequestForm.TryParse(body, out var form))
        {
            await ErrorAsync(http, "invalid_request", "The form body is malformed, too large, or repeats a parameter.");
            return;
        }

        if (form.GrantType is null || form.Assertion is null)
        {
            await ErrorAsync(http, "invalid_request", "grant_type and assertion are required.");
            return;
        }

        if (form.GrantType != JwtBearerGrant)
        {
            await ErrorAsync(http, "unsupported_grant_type", $"Only {JwtBearerGrant} is supported.");
            return;
        }

        var validation = await validator.ValidateAsync(form.Assertion, asBearer: false, http.RequestAborted);
        if (validation.Outcome == FederationOutcome.Unavailable)
        {
            Log.Refused(logger, validation.Issuer?.Url ?? "-", validation.Reason);
            await UnavailableAsync(http, "The assertion's issuer cannot be reached to verify it; retry shortly.", 10);
            return;
        }

        if (validation.Outcome != FederationOutcome.Valid)
        {
            RecordFailure(http, validation);
            await ErrorAsync(http, "invalid_grant", "The assertion was not accepted.");
            return;
        }

        (string Token, Policy.Model.ApiKey Stored)? minted;
        try
        {
            minted = minting.Mint(directory, validation.Match, validation.Issuer!, validation.Subject!, http.Connection.RemoteIpAddress?.ToString());
        }
        catch (StoreUnavailableException)
        {
            await UnavailableAsync(http, "The gateway cannot reach its store; retry shortly.", 5);
            return;
        }

        if (minted is not { } issued)
        {
            RecordFailure(http, validation with { Reason = FederationReasons.PrincipalInactive });
            await ErrorAsync(http, "invalid_grant", "The assertion was not accepted.");
            return;
        }

        var token = issued.Token;
        Log.Exchanged(logger, validation.Principal!.DisplayName, validation.Issuer!.Url, issued.Stored.KeyId, validation.Match.Rule);

        metrics.Exchange("issued");
        await WriteJsonAsync(http, 200, writer =>
        {
            writer.WriteString("access_token", token);
            writer.WriteString("token_type", "Bearer");
            writer.WriteNumber("expires_in", (long)minting.Lifetime.TotalSeconds);
        });
    }

    private void RecordFailure(HttpContext http, in FederatedValidation validation)
    {
        if (_failureLog.TryAcquire(out var suppressed))
        {
            if (suppressed > 0)
            {
                Log.FailuresSuppressed(logger, suppressed);
            }

            Log.Refused(logger, validation.Issuer?.Url ?? "-", validation.Reason);
        }

        // Audited in the issuer's organization; an assertion naming no registered issuer has none.
        if (validation.Issuer is { } issuer)
        {
            _failureAudit.Record((Issuer: issuer, Reason: validation.Reason, Address: http.Connection.RemoteIpAddress?.ToString(), At: time.UtcNowMillis()),
                static s => new AuditEvent
                {
                    At = s.At, Org = s.Issuer.Org, Action = "token.exchange_refused", Actor = "-", Target = s.Issuer.Url,
                    Address = s.Address, Detail = "reason=" + s.Reason,
                });
        }
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpContext http, int max)
    {
        if (http.Request.ContentLength > max)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[4096];
        int read;
        while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
        {
            if (buffer.Length + read > max)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private Task ErrorAsync(HttpContext http, string error, string description)
    {
        metrics.Exchange(error);
        return WriteJsonAsync(http, 400, writer =>
        {
            writer.WriteString("error", error);
            writer.WriteString("error_description", description);
        });
    }

    private Task UnavailableAsync(HttpContext http, string description, int retryAfterSeconds)
    {
        metrics.Exchange("unavailable");
        http.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return WriteJsonAsync(http, 503, writer =>
        {
            writer.WriteString("error", "temporarily_unavailable");
            writer.WriteString("error_description", description);
        });
    }

    private static async Task WriteJsonAsync(HttpContext http, int status, Action<Utf8JsonWriter> write)
    {
        var response = http.Response;
        response.StatusCode = status;
        response.ContentType = "application/json";
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
        using (var writer = new Utf8JsonWriter(response.BodyWriter))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        await response.BodyWriter.FlushAsync();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.TokenExchanged, EventName = "TokenExchanged", Level = LogLevel.Information,
            Message = "Exchanged an assertion of issuer {Issuer} for access token {TokenId} of {Subject} (rule {Rule}).")]
        public static partial void Exchanged(ILogger logger, string subject, string issuer, string tokenId, string rule);

        [LoggerMessage(EventId = EventIds.TokenExchangeRefused, EventName = "TokenExchangeRefused", Level = LogLevel.Information,
            Message = "Refused a token exchange (issuer {Issuer}): {Reason}.")]
        public static partial void Refused(ILogger logger, string issuer, string reason);

        [LoggerMessage(EventId = EventIds.UnexpectedFailure, EventName = "UnexpectedFailure", Level = LogLevel.Error,
            Message = "Failing closed on the token exchange: unexpected {ExceptionType}.")]
        public static partial void Unexpected(ILogger logger, string exceptionType);

        [LoggerMessage(EventId = EventIds.TokenExchangeFailuresSuppressed, EventName = "TokenExchangeFailuresSuppressed", Level = LogLevel.Warning,
            Message = "{Count} further refused token exchanges in the last second were not logged individually.")]
        public static partial void FailuresSuppressed(ILogger logger, int count);
    }
}
