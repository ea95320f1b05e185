using System.Text.Json;
using System.Text.Json.Serialization;
using Gateway.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Gateway.Admin;

/// <summary>
/// Reads admin request bodies: JSON only, at most 64 KiB, unknown fields refused by name (a body that
/// says <c>"organization": "other-org"</c> is an error, not something silently ignored).
/// </summary>
internal static class AdminJson
{
    public const int MaxBodyBytes = 64 * 1024;

    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        AllowDuplicateProperties = false,
    };

    /// <summary>As <see cref="ReadAsync{T}"/> for an operation whose body is optional: null when none was sent.</summary>
    public static async Task<T?> ReadOptionalAsync<T>(HttpContext context) where T : class
        => context.Request.ContentLength is null or 0 && !context.Request.Headers.TransferEncoding.Any() ? null : await ReadAsync<T>(context);

    public static async Task<T> ReadAsync<T>(HttpContext context) where T : class
    {
        var request = context.Request;
        if (request.ContentLength is null or 0 && !request.Headers.TransferEncoding.Any())
        {
            throw new AdminProblemException(400, ProblemCodes.InvalidBody, "A JSON body is required.");
        }

        if (!MediaType.Is(request.ContentType, "application/json"))
        {
            throw new AdminProblemException(415, ProblemCodes.UnsupportedMediaType, "Send Content-Type: application/json.");
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            throw new AdminProblemException(413, ProblemCodes.BodyTooLarge, $"Admin bodies are limited to {MaxBodyBytes} bytes.");
        }

        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                throw new AdminProblemException(413, ProblemCodes.BodyTooLarge, $"Admin bodies are limited to {MaxBodyBytes} bytes.");
            }

            buffer.Write(chunk, 0, read);
        }

        try
        {
            return JsonSerializer.Deserialize<T>(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), Options)
                ?? throw new AdminProblemException(400, ProblemCodes.InvalidBody, "The body must be a JSON object.");
        }
        catch (JsonException ex)
        {
            var field = string.IsNullOrEmpty(ex.Path) || ex.Path == "$" ? null : ex.Path.TrimStart('$', '.');
            var detail = field is null ? "The body is not valid JSON for this operation."
                : field.EndsWith("At", StringComparison.Ordinal) ? $"Field '{field}' must be an ISO 8601 time with its offset, such as 2027-01-31T00:00:00Z."
                : $"Field '{field}' is not allowed or has the wrong type.";
            throw new AdminProblemException(400, ProblemCodes.InvalidBody, detail);
        }
    }

    public static IResult Json(object value, int status = 200) => Results.Json(value, Options, statusCode: status);
}
