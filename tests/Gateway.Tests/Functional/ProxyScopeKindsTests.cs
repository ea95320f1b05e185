using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>Entity and project from the path, the query, a header; entity-only; authenticated; anonymous.</summary>
[Collection(ProxyCollection.Name)]
public sealed class ProxyScopeKindsTests(ProxyFixture fixture) : ProxyTestBase(fixture)
{
    [Fact]
    public async Task QueryScope()
    {
        var (ok, upstream) = await SendAsync(HttpMethod.Get, "/q?entity=ml&project=team-p", K("vic"));
        Assert.Equal(200, ok.Status);
        Assert.Equal("team-p", upstream!.Single("X-Gateway-Project"));
        AssertProblem((await SendAsync(HttpMethod.Get, "/q?entity=ml&project=secret", K("vic"))).Response, 404, "project_not_found");
        AssertProblem((await SendAsync(HttpMethod.Get, "/q?entity=ml&project=team-p&project=secret", K("vic"))).Response, 400, "invalid_scope");
        AssertProblem((await SendAsync(HttpMethod.Get, "/q?entity=ml&project=..", K("vic"))).Response, 400, "invalid_scope");
    }

    [Fact]
    public async Task HeaderScope()
    {
        var (ok, upstream) = await SendAsync(HttpMethod.Post, "/h", K("ci@ml"), r =>
        {
            r.Headers.TryAddWithoutValidation("X-Entity", "ml");
            r.Headers.TryAddWithoutValidation("X-Project", "team-p");
        });
        Assert.Equal(200, ok.Status);
        Assert.Equal("ml", upstream!.Single("X-Gateway-Entity"));
        var (denied, _) = await SendAsync(HttpMethod.Post, "/h", K("cvbot@cv"), r =>
        {
            r.Headers.TryAddWithoutValidation("X-Entity", "ml");
            r.Headers.TryAddWithoutValidation("X-Project", "team-p");
        });
        AssertProblem(denied, 403, "outside_service_account_scope");
    }

    [Fact]
    public async Task NoEntityNamed_UsesThePrincipalsDefaultEntity()
    {
        // Header scope without X-Entity: a team SA writes into its parent team.
        var (ok, upstream) = await SendAsync(HttpMethod.Post, "/h", K("ci@ml"), r => r.Headers.TryAddWithoutValidation("X-Project", "team-p"));
        Assert.Equal(200, ok.Status);
        Assert.Equal("ml", upstream!.Single("X-Gateway-Entity"));
        // An org SA's default team is cv.
        var (org, orgUpstream) = await SendAsync(HttpMethod.Post, "/h", K("bot@acme"), r => r.Headers.TryAddWithoutValidation("X-Project", "cv-p"));
        Assert.Equal(200, org.Status);
        Assert.Equal("cv", orgUpstream!.Single("X-Gateway-Entity"));
    }

    [Fact]
    public async Task EntityOnlyRoute()
    {
        var (ok, upstream) = await SendAsync(HttpMethod.Get, "/artifacts/ml/0123abcd", K("vic"));
        Assert.Equal(200, ok.Status);
        Assert.False(upstream!.Has("X-Gateway-Project"));
        AssertProblem((await SendAsync(HttpMethod.Get, "/artifacts/ml/0123abcd", K("dave"))).Response, 403, "not_a_member");
    }

    [Fact]
    public async Task TraceRoutes_AreForwardedWithoutTheirPrefix()
    {
        var (ok, upstream) = await SendAsync(HttpMethod.Post, "/traces/v2/ml/team-p/calls/stream_query", K("bob"));
        Assert.Equal(200, ok.Status);
        Assert.Equal("/v2/ml/team-p/calls/stream_query", upstream!.Path);
        AssertProblem((await SendAsync(HttpMethod.Post, "/traces/v2/ml/secret/calls/stream_query", K("bob"))).Response, 404, "project_not_found");
    }

    [Fact]
    public async Task AuthenticatedRoute_NeedsOnlyAValidKey()
    {
        var (ok, upstream) = await SendAsync(HttpMethod.Post, "/graphql", K("dave"), body: new { query = "{ viewer { id } }" });
        Assert.Equal(200, ok.Status);
        Assert.Equal("dave", upstream!.Single("X-Gateway-Entity"));
        Assert.Contains("viewer", upstream.Body);
        AssertProblem((await SendAsync(HttpMethod.Post, "/graphql", null)).Response, 401, "credentials_required");
    }

    [Fact]
    public async Task AnonymousRoute_ForwardsWithoutIdentity_AndStillStripsCredentials()
    {
        var (ok, upstream) = await SendAsync(HttpMethod.Get, "/public/status", K("bob"), r => r.Headers.TryAddWithoutValidation("X-Gateway-Principal", "ceo"));
        Assert.Equal(200, ok.Status);
        Assert.False(upstream!.Has("Authorization"));
        Assert.False(upstream.Has("X-Gateway-Principal"));
        Assert.Equal("anonymous", upstream.Single("X-Gateway-Auth-Method"));
        Assert.Equal(200, (await SendAsync(HttpMethod.Get, "/public/status", null)).Response.Status);
    }

    [Fact]
    public async Task AdminRoutes_OnTheProxyListener_AreJustUnknownPaths()
    {
        Assert.Equal(404, (await Gw.ProxyAsync(HttpMethod.Get, "/admin/v1/whoami", K("erin"))).Status);
    }
}
