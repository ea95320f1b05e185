using Gateway.Cli;

namespace Gateway.Tests.Common;

/// <summary>The CLI run in process against a test gateway's admin listener, with a key from the environment (never argv).</summary>
internal static class AdminCliRunner
{
    public static async Task<(int Exit, string Output, string Errors)> RunAsync(TestGateway gw, string key, params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var exit = await AdminCli.RunAsync(["admin", .. args], new Dictionary<string, string?> { ["GATEWAY_URL"] = gw.AdminUrl.ToString(), ["GATEWAY_KEY"] = key }, output, errors);
        return (exit, output.ToString(), errors.ToString());
    }

    /// <summary>Status and problem code of an admin or proxy answer, for one assertion on both.</summary>
    public static async Task<(int, string?)> StatusAsync(Task<ApiResponse> call)
    {
        var response = await call;
        return (response.Status, response.Code);
    }
}
