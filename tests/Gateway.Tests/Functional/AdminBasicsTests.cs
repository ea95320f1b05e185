using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>The admin listener over real HTTP: bootstrap, authentication, listener separation, errors.</summary>
public sealed class AdminBasicsTests : IAsyncLifetime
{
    private TestGateway _gw = null!;

    public async Task InitializeAsync() => _gw = await TestGateway.StartAsync();

    public async Task DisposeAsync() => await _gw.DisposeAsync();

    [Fact]
    public async Task Bootstrap_CreatesTheOrgAdmin_WithAKeyFileReadableOnlyByTheOwner()
    {
        var whoami = await _gw.GetAsync("/admin/v1/whoami", _gw.RootKey);
        Assert.Equal(200, whoami.Status);
        Assert.Equal("root", whoami.Str("principal"));
        Assert.Equal("admin", whoami.Str("orgRole"));
        Assert.Equal("acme", whoami.Str("org"));
        var mode = File.GetUnixFileMode(_gw.Directory.File("bootstrap-admin.key"));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        Assert.Contains(_gw.Logs.Lines, l => l.Contains("bootstrap-admin.key"));
        Assert.DoesNotContain(_gw.RootKey, _gw.Logs.All);
    }

    [Fact]
    public async Task EveryBadCredential_GetsTheSame401()
    {
        var (_, legacyLike) = (0, new string('a', 40));
        string[] bad = [_gw.RootKey[..^1], _gw.RootKey + "x", "gw_000000000000_" + new string('A', 36), legacyLike, "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."];
        var responses = new List<ApiResponse>();
        foreach (var key in bad)
        {
            responses.Add(await _gw.GetAsync("/admin/v1/whoami", key));
        }

        foreach (var response in responses)
        {
            Assert.Equal(401, response.Status);
            Assert.Equal(responses[0].WithoutRequestId, response.WithoutRequestId);
            Assert.Equal("invalid_credentials", response.Code);
            Assert.Equal("Basic realm=\"gateway\", Bearer realm=\"gateway\"", string.Join(", ", response.Headers.WwwAuthenticate));
        }

        var none = await _gw.GetAsync("/admin/v1/whoami", null);
        Assert.Equal(401, none.Status);
        Assert.Equal("credentials_required", none.Code);
    }

    [Fact]
    public async Task AmbiguousAndQueryStringCredentials_Get400_AndTheQueryNeverReachesTheLogs()
    {
        var twoCredentials = await _gw.SendAsync(new Uri(_gw.AdminUrl, "/admin/v1/whoami"), HttpMethod.Get, _gw.RootKey, null,
            r => r.Headers.Add("wandb-api-key", "gw_something_else"));
        Assert.Equal(400, twoCredentials.Status);
        Assert.Equal("ambiguous_credentials", twoCredentials.Code);

        var inQuery = await _gw.GetAsync("/admin/v1/whoami?api_key=" + _gw.RootKey, null);
        Assert.Equal(400, inQuery.Status);
        Assert.Equal("credentials_in_query", inQuery.Code);
        Assert.DoesNotContain(_gw.RootKey, _gw.Logs.All);
    }

    [Fact]
    public async Task AdminRoutes_AreNotServedOnTheProxyListener()
    {
        var onProxy = await _gw.SendAsync(new Uri(_gw.ProxyUrl, "/admin/v1/whoami"), HttpMethod.Get, _gw.RootKey, null);
        Assert.Equal(404, onProxy.Status);
        var health = await _gw.SendAsync(new Uri(_gw.ProxyUrl, "/healthz"), HttpMethod.Get, null, null);
        Assert.Equal(200, health.Status);
        var ready = await _gw.SendAsync(new Uri(_gw.ProxyUrl, "/readyz"), HttpMethod.Get, null, null);
        Assert.Equal(200, ready.Status);
    }

    [Fact]
    public async Task InvalidFields_AreAllNamed_AndUnknownFieldsRefused()
    {
        var invalid = await _gw.PostAsync("/admin/v1/orgs/acme/users", _gw.RootKey, new { username = "Bad Name", email = "nope", orgRole = "Admin" });
        Assert.Equal(400, invalid.Status);
        Assert.Equal("invalid_fields", invalid.Code);
        var errors = invalid.Json.GetProperty("errors");
        Assert.True(errors.TryGetProperty("username", out _));
        Assert.True(errors.TryGetProperty("email", out _));
        Assert.True(errors.TryGetProperty("orgRole", out _));

        var smuggled = await _gw.PostAsync("/admin/v1/orgs/acme/teams", _gw.RootKey, new { name = "t1", organization = "other-org" });
        Assert.Equal(400, smuggled.Status);
        Assert.Contains("organization", smuggled.Str("detail"));

        var duplicate = await _gw.PostAsync("/admin/v1/orgs/acme/teams", _gw.RootKey, "{\"name\":\"t1\",\"name\":\"t2\"}");
        Assert.Equal(400, duplicate.Status);

        var notJson = await _gw.SendAsync(new Uri(_gw.AdminUrl, "/admin/v1/orgs/acme/teams"), HttpMethod.Post, _gw.RootKey, null,
            r => r.Content = new StringContent("name=t1", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"));
        Assert.Equal(415, notJson.Status);
    }

    [Fact]
    public async Task Names_AreExact_AndConflictsAre409()
    {
        Assert.Equal(201, (await _gw.PostAsync("/admin/v1/orgs/acme/teams", _gw.RootKey, new { name = "vision" })).Status);
        var again = await _gw.PostAsync("/admin/v1/orgs/acme/teams", _gw.RootKey, new { name = "vision" });
        Assert.Equal(409, again.Status);
        Assert.Equal("name_taken", again.Code);
        // The user and team namespaces are shared: both are entities.
        Assert.Equal(409, (await _gw.PostAsync("/admin/v1/orgs/acme/users", _gw.RootKey, new { username = "vision", email = "v@x.io" })).Status);
        Assert.Equal(404, (await _gw.PostAsync("/admin/v1/orgs/ACME/teams", _gw.RootKey, new { name = "other" })).Status);
        Assert.Equal(201, (await _gw.PostAsync("/admin/v1/teams/vision/projects", _gw.RootKey, new { name = "ResNet" })).Status);
        Assert.Equal(409, (await _gw.PostAsync("/admin/v1/teams/vision/projects", _gw.RootKey, new { name = "resnet" })).Status);
    }
}
