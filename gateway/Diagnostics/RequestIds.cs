using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;

namespace Gateway.Diagnostics;

/// <summary>
/// The id a refusal is known by (problem body, <c>X-Request-Id</c>, log line): 96 random bits, made when a
/// request is first refused or logged and kept for it. Not Kestrel's <c>TraceIdentifier</c>, which any
/// unauthenticated caller would read: it encodes the process's start time and counts its connections.
/// </summary>
internal static class RequestIds
{
    public static string Of(HttpContext context)
    {
        if (context.Features.Get<Assigned>() is { } assigned)
        {
            return assigned.Id;
        }

        Span<byte> bytes = stackalloc byte[12];
        RandomNumberGenerator.Fill(bytes);
        var id = Convert.ToHexStringLower(bytes);
        context.Features.Set(new Assigned(id));
        context.TraceIdentifier = id;
        return id;
    }

    private sealed record Assigned(string Id);
}
