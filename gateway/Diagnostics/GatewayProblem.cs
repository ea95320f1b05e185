using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Gateway.Diagnostics;

/// <summary>
/// An <c>application/problem+json</c> answer: <c>type</c>, <c>title</c>, <c>status</c>, <c>code</c>,
/// optionally <c>detail</c> and per-field <c>errors</c>, and the <c>requestId</c> (also in the
/// <c>X-Request-Id</c> header and in the log line of the refusal), so that an operator can find the
/// request a user reports. Never internal detail, never a secret.
/// </summary>
internal sealed class GatewayProblem(int status, string code, string? detail = null, IReadOnlyDictionary<string, string[]>? errors = null, string? restriction = null) : IResult
{
    public const string ContentType = "application/problem+json";

    public int Status { get; } = status;

    public string Code { get; } = code;

    public string? Detail { get; } = detail;

    public IReadOnlyDictionary<string, string[]>? Errors { get; } = errors;

    /// <summary>For <c>key_restricted</c>: which of the key's restrictions refused (<c>access</c>, <c>projects</c>, <c>allowedNetworks</c>).</summary>
    public string? Restriction { get; } = restriction;

    public Task ExecuteAsync(HttpContext httpContext) => WriteAsync(httpContext.Response, Status, Code, Detail, Errors, Restriction);

    /// <summary>The header carrying a refusal's request id.</summary>
    public const string RequestIdHeader = "X-Request-Id";

    public static async Task WriteAsync(HttpResponse response, int status, string code, string? detail = null, IReadOnlyDictionary<string, string[]>? errors = null, string? restriction = null)
    {
        response.StatusCode = status;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-store";
        var requestId = RequestIds.Of(response.HttpContext);
        response.Headers[RequestIdHeader] = requestId;
        response.HttpContext.Features.Set(new ProblemCode(code));
        Write(response.BodyWriter, status, code, detail, errors, requestId, restriction);
        await response.BodyWriter.FlushAsync();
    }

    /// <summary>
    /// The body without its request id and closing brace, for callers that serialize a problem once and
    /// finish it per request with <see cref="WriteWithRequestIdAsync"/>.
    /// </summary>
    public static byte[] SerializeOpen(int status, string code)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        Write(buffer, status, code, null, null, null);
        return buffer.WrittenSpan[..^1].ToArray();
    }

    /// <summary>A body from <see cref="SerializeOpen"/>, finished with this request's id (a few bytes copied, nothing serialized).</summary>
    public static Task WriteWithRequestIdAsync(HttpResponse response, byte[] open, string code)
    {
        var requestId = RequestIds.Of(response.HttpContext);
        response.Headers[RequestIdHeader] = requestId;
        response.HttpContext.Features.Set(new ProblemCode(code));
        if (!IsPlain(requestId))
        {
            // Kestrel's ids are letters, digits and colons; anything else is escaped by the writer.
            return WriteAsync(response, response.StatusCode, code);
        }

        var length = open.Length + RequestIdOpen.Length + requestId.Length + 2;
        response.ContentLength = length;
        var writer = response.BodyWriter;
        var span = writer.GetSpan(length);
        open.CopyTo(span);
        RequestIdOpen.CopyTo(span[open.Length..]);
        var at = open.Length + RequestIdOpen.Length;
        System.Text.Encoding.ASCII.GetBytes(requestId, span[at..]);
        span[at + requestId.Length] = (byte)'"';
        span[at + requestId.Length + 1] = (byte)'}';
        writer.Advance(length);
        return writer.FlushAsync().AsTask();
    }

    private static ReadOnlySpan<byte> RequestIdOpen => ",\"requestId\":\""u8;

    private static bool IsPlain(string text)
    {
        foreach (var c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not (':' or '-' or '.' or '_'))
            {
                return false;
            }
        }

        return true;
    }

    private static void Write(System.Buffers.IBufferWriter<byte> output, int status, string code, string? detail, IReadOnlyDictionary<string, string[]>? errors, string? requestId, string? restriction = null)
    {
        using var writer = new Utf8JsonWriter(output);
        writer.WriteStartObject();
        writer.WriteString("type", "urn:gateway:problem:" + code);
        writer.WriteString("title", Title(status));
        writer.WriteNumber("status", status);
        writer.WriteString("code", code);
        if (detail is not null)
        {
            writer.WriteString("detail", detail);
        }

        if (errors is not null)
        {
            writer.WriteStartObject("errors");
            foreach (var (field, messages) in errors)
            {
                writer.WriteStartArray(field);
                foreach (var message in messages)
                {
                    writer.WriteStringValue(message);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        if (restriction is not null)
        {
            writer.WriteString("restriction", restriction);
        }

        if (requestId is not null)
        {
            writer.WriteString("requestId", requestId);
        }

        writer.WriteEndObject();
    }

    private static string Title(int status) => status switch
    {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        429 => "Too Many Requests",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    };
}

/// <summary>The code of the problem a response was answered with (for the refusal record; server-side state).</summary>
internal sealed record ProblemCode(string Code);

/// <summary>Thrown inside an admin operation to answer with a problem; nothing has been written yet.</summary>
internal sealed class AdminProblemException(int status, string code, string? detail = null, IReadOnlyDictionary<string, string[]>? errors = null)
    : Exception(detail ?? code)
{
    public GatewayProblem Problem { get; } = new(status, code, detail, errors);

    public static AdminProblemException NotFound(string code, string what) => new(StatusCodes.Status404NotFound, code, $"{what} was not found.");

    public static AdminProblemException Forbidden(string code, string detail) => new(StatusCodes.Status403Forbidden, code, detail);

    public static AdminProblemException Conflict(string code, string detail) => new(StatusCodes.Status409Conflict, code, detail);
}
