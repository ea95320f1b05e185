using Gateway.DirectoryAsCode;
using Gateway.Tests.Common;

namespace Gateway.Tests.DirectoryAsCode;

/// <summary><c>gateway directory ...</c> run in process against a test gateway's admin listener, the key from the environment.</summary>
internal static class DirectoryCliRunner
{
    public static async Task<(int Exit, string Output, string Errors)> RunAsync(TestGateway gw, string key, params string[] args)
    {
        var output = new StringWriter { NewLine = "\n" };
        var errors = new StringWriter { NewLine = "\n" };
        var exit = await DirectoryCli.RunAsync(["directory", .. args], new Dictionary<string, string?> { ["GATEWAY_URL"] = gw.AdminUrl.ToString(), ["GATEWAY_KEY"] = key }, output, errors);
        return (exit, output.ToString(), errors.ToString());
    }

    /// <summary>The export as the CLI prints it; fails the test when the CLI does.</summary>
    public static async Task<string> ExportAsync(TestGateway gw, string key, params string[] args)
    {
        var (exit, output, errors) = await RunAsync(gw, key, ["export", .. args]);
        Xunit.Assert.True(exit == 0, $"export failed ({exit}): {errors}");
        return output;
    }
}
