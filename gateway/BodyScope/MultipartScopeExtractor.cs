using System.Text;
using Gateway.Policy.Model;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;

namespace Gateway.BodyScope;

/// <summary>Weave's <c>file/create</c>: the <c>project_id</c> form field of a multipart body (every occurrence).</summary>
internal static class MultipartScopeExtractor
{
    private const int MaxFieldBytes = 1024;

    public static async Task<List<ScopeReference>> ExtractAsync(ReadOnlyMemory<byte> body, string? contentType, BodyLimits limits, AccessAction action)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var media)
            || HeaderUtilities.RemoveQuotes(media.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
        {
            throw new BodyScopeException(400, BodyScopeCodes.InvalidMultipart, "A multipart body needs a boundary.");
        }

        var references = new List<ScopeReference>();
        var reader = new MultipartReader(boundary, new MemoryStream(body.ToArray(), writable: false)) { BodyLengthLimit = limits.MaxBytes };
        try
        {
            MultipartSection? section;
            while ((section = await reader.ReadNextSectionAsync()) is not null)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !HeaderUtilities.RemoveQuotes(disposition.Name).Equals(limits.ProjectIdField, StringComparison.Ordinal))
                {
                    continue;
                }

                var buffer = new byte[MaxFieldBytes + 1];
                var length = await section.Body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false);
                if (length > MaxFieldBytes)
                {
                    throw new BodyScopeException(400, BodyScopeCodes.InvalidScope, $"'{limits.ProjectIdField}' is too long.");
                }

                var (entity, project) = ProjectId.Parse(Encoding.UTF8.GetString(buffer, 0, length), limits.ProjectIdField);
                references.Add(new ScopeReference(entity, project, action));
            }
        }
        catch (IOException)
        {
            throw new BodyScopeException(400, BodyScopeCodes.InvalidMultipart, "The multipart body is malformed.");
        }
        catch (InvalidDataException)
        {
            throw new BodyScopeException(400, BodyScopeCodes.InvalidMultipart, "The multipart body is malformed.");
        }

        return references;
    }
}
