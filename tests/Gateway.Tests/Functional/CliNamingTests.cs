using Gateway.Cli;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>Names that round-trip: what a CLI table shows is what the next command accepts.</summary>
public sealed class CliNamingTests
{
    [Fact]
    public async Task ServiceAccounts_AreShownAsNameAtScope_AndABareNameGetsAHint()
    {
        await using var echo = await EchoUpstream.StartAsync();
        await using var gw = await TestGateway.StartAsync(dir => Replicas.PostgresStoreTests.Config(dir, echo.Url));
        var keys = new Dictionary<string, string>();
        await OrgFixture.BuildAsync(gw, keys);

        var (exit, table, _) = await AdminCliRunner.RunAsync(gw, keys["erin"], "service-accounts", "list");
        Assert.Equal(0, exit);
        var lines = table.Split('\n');
        Assert.StartsWith("displayName", lines[0]);
        Assert.DoesNotContain(" name ", " " + lines[0] + " ");
        Assert.Contains(lines, l => l.StartsWith("ci@ml ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.StartsWith("ci ", StringComparison.Ordinal));
        var (_, single, _) = await AdminCliRunner.RunAsync(gw, keys["erin"], "service-accounts", "get", "ci@ml");
        Assert.StartsWith("displayName", single);

        // The listed name works in the next command; the bare one says which form to use.
        Assert.Equal(0, (await AdminCliRunner.RunAsync(gw, keys["erin"], "keys", "list", "--owner", "ci@ml")).Exit);
        var (bare, _, errors) = await AdminCliRunner.RunAsync(gw, keys["erin"], "keys", "create", "ci");
        Assert.Equal(AdminCli.ExitCodes.NotFound, bare);
        Assert.Contains("name@team or name@org", errors);
    }
}
