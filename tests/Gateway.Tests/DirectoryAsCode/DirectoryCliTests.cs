using Gateway.DirectoryAsCode;
using Xunit;

namespace Gateway.Tests.DirectoryAsCode;

/// <summary>Mistakes in calling <c>gateway directory</c>: exit 64, never 2 (which means "changes planned").</summary>
public sealed class DirectoryCliTests
{
    [Theory]
    [InlineData("apply", "doc.yaml", "--dryrun")]
    [InlineData("apply")]
    [InlineData("apply", "doc.yaml", "extra.yaml")]
    [InlineData("apply", "/nonexistent/doc.yaml", "--dry-run")]
    [InlineData("export", "--format", "xml")]
    [InlineData("export", "--key", "gw_secret")]
    [InlineData("plan")]
    [InlineData()]
    public async Task UsageErrors_ExitSixtyFour(params string[] args)
    {
        using var dir = new Common.TempDirectory();
        await File.WriteAllTextAsync(dir.File("doc.yaml"), "version: 1\norganization: acme\n");
        var errors = new StringWriter();
        var exit = await DirectoryCli.RunAsync(["directory", .. args.Select(a => a == "doc.yaml" ? dir.File(a) : a)],
            new Dictionary<string, string?> { ["GATEWAY_URL"] = "http://127.0.0.1:9", ["GATEWAY_KEY"] = "gw_x_y" }, new StringWriter(), errors);

        Assert.Equal(DirectoryCli.Usage, exit);
        Assert.StartsWith("error: ", errors.ToString());
    }

    [Fact]
    public async Task AnUnreachableAdminApi_ExitsSeven()
    {
        var errors = new StringWriter();
        var exit = await DirectoryCli.RunAsync(["directory", "export"], new Dictionary<string, string?> { ["GATEWAY_URL"] = "http://127.0.0.1:9", ["GATEWAY_KEY"] = "gw_x_y" }, new StringWriter(), errors);

        Assert.Equal(7, exit);
        Assert.Contains("cannot be reached", errors.ToString());
    }
}
