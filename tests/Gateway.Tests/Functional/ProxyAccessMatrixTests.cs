using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// Visibility x principal kind (user member, user viewer, user outside the team, team SA, other
/// team's SA, org SA, explicit SA) x action through real routes: GET /read is a read, POST
/// /files/.../file_stream a write.
/// </summary>
[Collection(ProxyCollection.Name)]
public class ProxyAccessMatrixTests(ProxyFixture fixture) : ProxyTestBase(fixture)
{
    // principal, then read/write on open-p, pub-p, team-p, secret (restricted), late-p (team, created after nep@acme)
    private static readonly (string Principal, int[] Expected)[] Rows =
    [
        ("bob",      [200, 200,  200, 200,  200, 200,  404, 404,  200, 200]),
        ("vic",      [200, 200,  200, 403,  200, 403,  404, 404,  200, 403]),
        ("dave",     [200, 200,  200, 403,  403, 403,  404, 404,  403, 403]),
        ("ci@ml",    [200, 200,  200, 200,  200, 200,  404, 404,  200, 200]),
        ("cvbot@cv", [200, 200,  200, 403,  403, 403,  404, 404,  403, 403]),
        ("bot@acme", [200, 200,  200, 200,  200, 200,  404, 404,  200, 200]),
        ("nep@acme", [200, 200,  200, 200,  200, 200,  404, 404,  403, 403]),
    ];

    private static readonly string[] Projects = ["open-p", "pub-p", "team-p", "secret", "late-p"];

    public static TheoryData<string, string, string, int> Cases()
    {
        var data = new TheoryData<string, string, string, int>();
        foreach (var (principal, expected) in Rows)
        {
            for (var p = 0; p < Projects.Length; p++)
            {
                data.Add(principal, Projects[p], "read", expected[p * 2]);
                data.Add(principal, Projects[p], "write", expected[p * 2 + 1]);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Decides(string principal, string project, string action, int expected)
    {
        var (response, upstream) = action == "read"
            ? await SendAsync(HttpMethod.Get, $"/read/ml/{project}/data.json", K(principal))
            : await SendAsync(HttpMethod.Post, $"/files/ml/{project}/run-7/file_stream", K(principal));

        Assert.True(expected == response.Status, $"{principal} {action} ml/{project}: expected {expected}, got {response}");
        if (expected == 200)
        {
            Assert.NotNull(upstream);
            Assert.Equal(principal, upstream.Single("X-Gateway-Principal"));
            Assert.Equal(project, upstream.Single("X-Gateway-Project"));
            Assert.Equal("ml", upstream.Single("X-Gateway-Entity"));
            Assert.Equal(principal.Contains('@') ? "service_account" : "user", upstream.Single("X-Gateway-Principal-Type"));
        }
        else
        {
            Assert.Null(upstream);
        }
    }
}
