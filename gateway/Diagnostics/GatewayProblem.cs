using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Gateway.Diagnostics;

/// <summary>
/// An <c>application/problem+json</c> answer: <c>type</c>, <c>title</c>, <c>status</c>, <c>code</c>,
/// optionally <c>detail</c> and per-field <c>errors</c>. Never internal detail, never a secret.
/// </summary>
internal sealed class GatewayProblem(int status, string code, string? detail = null, IReadOnlyDictionary<string, string[]>? errors = null) : IResult
{
    public const string ContentType = "application/problem+json";

    public int Status { get; } = status;

    public string Code { get; } = code;

    public string? Detail { get; } = detail;

    public IReadOnlyDictionary<string, string[]>? Errors { get; } = errors;

    public Task ExecuteAsync(HttpContext httpContext) => WriteAsync(httpContext.Response, Status, Code, Detail, Errors);

    public static async Task WriteAsync(HttpResponse response, int status, string code, string? detail = null, IReadOnlyDictionary<string, string[]>? errors = null)
    {
        response.StatusCode = status;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-store";
        Write(response.BodyWriter, status, code, detail, errors);
        await response.BodyWriter.FlushAsync();
    }

    /// <summary>The body alone, for callers that serialize a problem once and reuse the bytes.</summary>
    public static byte[] Serialize(int status, string code)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        Write(buffer, status, code, null, null);
        return buffer.WrittenSpan.ToArray();
    }

    private static void Write(System.Buffers.IBufferWriter<byte> output, int status, string code, string? detail, IReadOnlyDictionary<string, string[]>? errors)
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

/// <summary>Thrown inside an admin operation to answer with a problem; nothing has been written yet.</summary>
internal sealed class AdminProblemException(int status, string code, string? detail = null, IReadOnlyDictionary<string, string[]>? errors = null)
    : Exception(detail ?? code)
{
    public GatewayProblem Problem { get; } = new(status, code, detail, errors);

    public static AdminProblemException NotFound(string code, string what) => new(StatusCodes.Status404NotFound, code, $"{what} was not found.");

    public static AdminProblemException Forbidden(string code, string detail) => new(StatusCodes.Status403Forbidden, code, detail);

    public static AdminProblemException Conflict(string code, string detail) => new(StatusCodes.Status409Conflict, code, detail);
}
