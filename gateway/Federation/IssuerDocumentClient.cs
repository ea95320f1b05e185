using System.Net;
using System.Text.Json;
using Gateway.Configuration;

namespace Gateway.Federation;

/// <summary>
/// Fetches an issuer's discovery document and key set: no redirects, public addresses only (see
/// <see cref="OutboundAddressPolicy"/>), a timeout, a size cap, and the
/// discovery document's <c>issuer</c> must equal the configured issuer exactly (OpenID Connect
/// Discovery 1.0, section 4.3), so one issuer's document cannot point at another's keys.
/// </summary>
internal sealed class IssuerDocumentClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly int _maxBytes;

    public IssuerDocumentClient(FederationOptions options)
    {
        _maxBytes = options.MaxJwksBytes;
        _http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectTimeout = options.FetchTimeout,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.None,
            ConnectCallback = OutboundAddressPolicy.Connect(options.AllowPrivateIssuerAddresses),
            // Direct connections only: through an HTTP_PROXY the callback would check the proxy's
            // address, and the proxy would fetch any address for us.
            UseProxy = false,
        })
        {
            Timeout = options.FetchTimeout,
            MaxResponseContentBufferSize = options.MaxJwksBytes,
        };
        _http.DefaultRequestHeaders.Accept.ParseAdd("application/json");
    }

    /// <summary>The <c>jwks_uri</c> named by the issuer's discovery document.</summary>
    public async Task<string> DiscoverJwksUriAsync(string issuer, CancellationToken cancellationToken)
    {
        var url = issuer.TrimEnd('/') + "/.well-known/openid-configuration";
        var bytes = await GetAsync(url, cancellationToken);
        if (!System.Text.Unicode.Utf8.IsValid(bytes))
        {
            throw new IssuerFetchException("the discovery document is not valid UTF-8");
        }

        try
        {
            using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { AllowDuplicateProperties = false, MaxDepth = 8 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("issuer", out var named) || named.ValueKind != JsonValueKind.String || named.GetString() != issuer)
            {
                throw new IssuerFetchException("the discovery document names a different issuer");
            }

            if (!root.TryGetProperty("jwks_uri", out var jwks) || jwks.ValueKind != JsonValueKind.String || !IssuerRules.IsFetchableUrl(jwks.GetString()))
            {
                throw new IssuerFetchException("the discovery document has no usable jwks_uri");
            }

            return jwks.GetString()!;
        }
        catch (JsonException ex)
        {
            throw new IssuerFetchException("the discovery document is not valid JSON", ex);
        }
    }

    public Task<byte[]> GetJwksAsync(string jwksUri, CancellationToken cancellationToken) => GetAsync(jwksUri, cancellationToken);

    private async Task<byte[]> GetAsync(string url, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseContentRead, cancellationToken);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new IssuerFetchException($"GET {url} answered {(int)response.StatusCode}");
            }

            var bytes = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            return bytes.Length <= _maxBytes ? bytes : throw new IssuerFetchException($"GET {url} returned more than {_maxBytes} bytes");
        }
        catch (HttpRequestException ex)
        {
            // Includes a body over MaxResponseContentBufferSize.
            throw new IssuerFetchException($"GET {url} failed: {ex.Message}", ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new IssuerFetchException($"GET {url} timed out", ex);
        }
    }

    public void Dispose() => _http.Dispose();
}
