using System.Net.Http.Headers;
using System.Text;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// The gateway in front of an echo upstream with two real OIDC issuers on loopback, registered for
/// org acme through the admin API: <see cref="Idp"/> (clients exchange first) and <see cref="RawIdp"/>
/// (raw JWTs accepted as Bearer). External service accounts ext@ml (Idp) and rawbot@ml (RawIdp);
/// user bob (bob@acme.example) for federated people. Unknown-kid refetches at most every 2 s.
/// </summary>
public class FederationFixture : IAsyncLifetime
{
    public const string ExtSubject = "repo:acme/train:ref:refs/heads/main";
    public const string RawSubject = "rawbot-subject";

    public EchoUpstream Echo { get; private set; } = null!;

    public TestIssuer Idp { get; private set; } = null!;

    public TestIssuer RawIdp { get; private set; } = null!;

    public TestGateway Gw { get; private set; } = null!;

    /// <summary>Arguments choosing the store (none: the embedded LiteDB file).</summary>
    protected virtual Task<string[]> StoreArgumentsAsync() => Task.FromResult<string[]>([]);

    public virtual async Task InitializeAsync()
    {
        var store = await StoreArgumentsAsync();
        Echo = await EchoUpstream.StartAsync();
        Idp = await TestIssuer.StartAsync();
        RawIdp = await TestIssuer.StartAsync();
        Gw = await TestGateway.StartAsync(_ => Config(Echo.Url), [
            "--Gateway:Federation:KeyRefetchInterval=00:00:02",
            // Tests of this fixture look for particular refused-exchange audit events: every one is written
            // (sampling at 5 a second, shared by all its tests, dropped the one a test looked for now and then).
            "--Gateway:Limits:AuditedFailuresPerSecond=1000000", .. store]);
        var root = Gw.RootKey;
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/orgs/acme/teams", root, new { name = "ml" }));
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/orgs/acme/users", root, new { username = "bob", email = "bob@acme.example" }));
        await OrgFixture.Ok(Gw.PutAsync("/admin/v1/teams/ml/members/bob", root, new { role = "member" }));
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/teams/ml/projects", root, new { name = "p" }));
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/orgs/acme/issuers", root, new { issuer = Idp.Url }));
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/orgs/acme/issuers", root, new { issuer = RawIdp.Url, acceptRawJwt = true, algorithms = new[] { "RS256", "ES256" } }));
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/teams/ml/service-accounts", root, new { name = "ext", authentication = "federated", issuer = Idp.Url, subject = ExtSubject }));
        await OrgFixture.Ok(Gw.PostAsync("/admin/v1/teams/ml/service-accounts", root, new { name = "rawbot", authentication = "federated", issuer = RawIdp.Url, subject = RawSubject }));
    }

    public virtual async Task DisposeAsync()
    {
        await Gw.DisposeAsync();
        await Idp.DisposeAsync();
        await RawIdp.DisposeAsync();
        await Echo.DisposeAsync();
    }

    /// <summary>The exchange exactly as the wandb SDK sends it: a form body, no client authentication.</summary>
    public static async Task<ApiResponse> ExchangeAsync(TestGateway gw, string assertion, bool encodeGrantType = true)
    {
        var grant = encodeGrantType ? Uri.EscapeDataString("urn:ietf:params:oauth:grant-type:jwt-bearer") : "urn:ietf:params:oauth:grant-type:jwt-bearer";
        return await RawFormAsync(gw, $"grant_type={grant}&assertion={assertion}");
    }

    public static async Task<ApiResponse> RawFormAsync(TestGateway gw, string body, string contentType = "application/x-www-form-urlencoded")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(gw.ProxyUrl, "/oidc/token"))
        {
            Content = new ByteArrayContent(Encoding.ASCII.GetBytes(body)),
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var response = await gw.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return new ApiResponse((int)response.StatusCode, text, response.Headers, response.Content.Headers.ContentType?.MediaType);
    }

    /// <summary>A proxied request with <c>Authorization: Bearer</c>, and what the upstream received (if anything).</summary>
    public async Task<(ApiResponse Response, EchoRequest? Upstream)> BearerAsync(string path, string bearer)
    {
        var marker = "m" + Guid.NewGuid().ToString("N")[..10];
        var response = await Gw.ProxyAsync(HttpMethod.Post, path, null, new { }, r =>
        {
            r.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            r.Headers.TryAddWithoutValidation("X-Test-Marker", marker);
        });
        return (response, Echo.Received.LastOrDefault(r => r.Single("X-Test-Marker") == marker));
    }

    public static string Config(Uri echo) => $$"""
    {
      "ReverseProxy": {
        "Routes": {
          "graphql": { "ClusterId": "echo", "Match": { "Path": "/graphql" }, "Metadata": { "Gateway.Scope": "authenticated" } },
          "files": { "ClusterId": "echo", "Match": { "Path": "/files/{entity}/{project}/{run}/file_stream" },
                     "Metadata": { "Gateway.Scope": "path", "Gateway.Entity": "entity", "Gateway.Project": "project", "Gateway.Action": "write" } },
          "oidc-upstream": { "ClusterId": "echo", "Match": { "Path": "/oidc/token" }, "Metadata": { "Gateway.Scope": "anonymous" } }
        },
        "Clusters": { "echo": { "Destinations": { "d1": { "Address": "{{echo}}" } } } }
      }
    }
    """;
}

[CollectionDefinition(Name)]
public sealed class FederationCollection : ICollectionFixture<FederationFixture>
{
    public const string Name = "federation";
}
