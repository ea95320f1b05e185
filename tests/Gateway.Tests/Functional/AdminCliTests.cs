using System.Diagnostics;
using System.Text.Json;
using Gateway.Cli;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// <c>gateway admin ...</c> against a real gateway: every command, its output in both formats, bad input
/// and refusals with their exit codes, and the key kept off the command line.
/// </summary>
public sealed class AdminCliTests : IAsyncLifetime
{
    private TestGateway _gw = null!;
    private EchoUpstream _echo = null!;

    public async Task InitializeAsync()
    {
        _echo = await EchoUpstream.StartAsync();
        _gw = await TestGateway.StartAsync(dir => Replicas.PostgresStoreTests.Config(dir, _echo.Url));
    }

    public async Task DisposeAsync()
    {
        await _gw.DisposeAsync();
        await _echo.DisposeAsync();
    }

    private async Task<(int Exit, string Output, string Errors)> CliAsync(string? key, params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        var environment = new Dictionary<string, string?> { ["GATEWAY_URL"] = _gw.AdminUrl.ToString() };
        if (key is not null)
        {
            environment["GATEWAY_KEY"] = key;
        }

        var exit = await AdminCli.RunAsync(["admin", .. args], environment, output, errors);
        return (exit, output.ToString(), errors.ToString());
    }

    private async Task<JsonElement> JsonAsync(string key, params string[] args)
    {
        var (exit, output, errors) = await CliAsync(key, [.. args, "--output", "json"]);
        Assert.True(exit == 0, $"{string.Join(' ', args)}: {exit} {errors}");
        return output.Trim().Length == 0 ? default : JsonDocument.Parse(output).RootElement.Clone();
    }

    private async Task OkAsync(string key, params string[] args)
    {
        var (exit, _, errors) = await CliAsync(key, args);
        Assert.True(exit == 0, $"{string.Join(' ', args)}: {exit} {errors}");
    }

    [Fact]
    public async Task EveryCommand_DoesWhatTheAdminApiDoes()
    {
        var root = _gw.RootKey;
        Assert.Equal("root", (await JsonAsync(root, "whoami")).GetProperty("principal").GetString());
        await OkAsync(root, "teams", "create", "acme", "ml");
        await OkAsync(root, "users", "create", "acme", "bob", "--email", "bob@acme.example");
        await OkAsync(root, "members", "set", "ml", "bob", "--role", "member");
        Assert.Equal("member", (await JsonAsync(root, "users", "get", "bob")).GetProperty("teams").GetProperty("ml").GetString());
        await OkAsync(root, "projects", "create", "ml", "p");
        await OkAsync(root, "projects", "create", "ml", "q", "--visibility", "restricted");
        await OkAsync(root, "projects", "update", "ml", "p", "--visibility", "open");
        Assert.Equal("open", (await JsonAsync(root, "projects", "get", "ml", "p")).GetProperty("visibility").GetString());
        await OkAsync(root, "service-accounts", "create", "ci", "--team", "ml");
        await OkAsync(root, "service-accounts", "create", "bot", "--org", "acme", "--default-team", "ml");
        Assert.Equal(["bot@acme", "ci@ml"], (await JsonAsync(root, "service-accounts", "list")).EnumerateArray().Select(a => a.GetProperty("displayName").GetString()));
        Assert.Equal(["ci@ml"], (await JsonAsync(root, "service-accounts", "list", "--team", "ml")).EnumerateArray().Select(a => a.GetProperty("displayName").GetString()));
        // A member who manages none sees none (the list is what the API lets the caller manage).
        var bobKey = (await JsonAsync(root, "keys", "create", "bob")).GetProperty("key").GetString()!;
        Assert.Equal(0, (await JsonAsync(bobKey, "service-accounts", "list")).GetArrayLength());
        await OkAsync(root, "grants", "set", "ml", "q", "ci@ml", "--role", "contributor");
        Assert.Equal("ci@ml", (await JsonAsync(root, "grants", "list", "ml", "q"))[0].GetProperty("principal").GetString());

        // A key made by the CLI works on the proxy; deleted by the CLI, the next request is 401.
        var created = await JsonAsync(root, "keys", "create", "ci@ml", "--name", "gha");
        var key = created.GetProperty("key").GetString()!;
        Assert.Equal(200, (await _gw.ProxyAsync(HttpMethod.Post, "/files/ml/q/r/file_stream", key)).Status);
        var (_, table, _) = await CliAsync(root, "keys", "list", "--owner", "ci@ml");
        Assert.Contains("gha", table);
        Assert.Contains("keyId", table.Split('\n')[0]);
        Assert.DoesNotContain(key, table);
        await OkAsync(root, "keys", "delete", created.GetProperty("keyId").GetString()!);
        Assert.Equal(401, (await _gw.ProxyAsync(HttpMethod.Post, "/files/ml/q/r/file_stream", key)).Status);

        // Listings and user status, as the console uses them.
        var teams = await JsonAsync(root, "teams", "list", "acme");
        Assert.Equal("ml", teams[0].GetProperty("name").GetString());
        Assert.Equal("bob", teams[0].GetProperty("members")[0].GetProperty("username").GetString());
        Assert.Equal(["bob", "root"], (await JsonAsync(root, "users", "list", "acme")).EnumerateArray().Select(u => u.GetProperty("username").GetString()));
        Assert.Equal(["bob"], (await JsonAsync(bobKey, "users", "list", "acme")).EnumerateArray().Select(u => u.GetProperty("username").GetString()));
        Assert.Equal(["ml/p", "ml/q"], (await JsonAsync(root, "projects", "list", "--entity", "ml")).EnumerateArray()
            .Select(p => p.GetProperty("entity").GetString() + "/" + p.GetProperty("name").GetString()));
        Assert.Equal(["ml/p"], (await JsonAsync(bobKey, "projects", "list")).EnumerateArray().Select(p => p.GetProperty("entity").GetString() + "/" + p.GetProperty("name").GetString()));
        await OkAsync(root, "users", "deactivate", "bob");
        Assert.Equal(AdminCli.ExitCodes.Denied, (await CliAsync(bobKey, "whoami")).Exit);
        await OkAsync(root, "users", "reactivate", "bob");
        Assert.Equal("bob", (await JsonAsync(bobKey, "whoami")).GetProperty("principal").GetString());
        Assert.Equal((AdminCli.ExitCodes.Conflict, "cannot_deactivate_self"), await Code(root, "users", "deactivate", "root"));
        Assert.Equal((AdminCli.ExitCodes.NotFound, "user_not_found"), await Code(bobKey, "users", "deactivate", "root"));

        await OkAsync(root, "grants", "remove", "ml", "q", "ci@ml");
        await OkAsync(root, "service-accounts", "deactivate", "ci@ml");
        Assert.False((await JsonAsync(root, "service-accounts", "get", "ci@ml")).GetProperty("active").GetBoolean());
        await OkAsync(root, "service-accounts", "reactivate", "ci@ml");
        await OkAsync(root, "service-accounts", "delete", "bot@acme");
        await OkAsync(root, "members", "remove", "ml", "bob");
        await OkAsync(root, "projects", "delete", "ml", "q");
        await OkAsync(root, "users", "delete", "bob");

        await using var idp = await TestIssuer.StartAsync();
        await OkAsync(root, "issuers", "add", "acme", idp.Url, "--accept-raw-jwt");
        Assert.Equal(idp.Url, (await JsonAsync(root, "issuers", "list", "acme"))[0].GetProperty("issuer").GetString());
        await OkAsync(root, "issuers", "remove", "acme", idp.Url);

        await OkAsync(root, "orgs", "create", "globex", "--admin-username", "hank", "--admin-email", "hank@globex.example");
        Assert.Equal(2, (await JsonAsync(root, "orgs", "list")).GetArrayLength());
        await OkAsync(root, "operators", "grant", "hank");
        Assert.Equal(2, (await JsonAsync(root, "operators", "list")).GetArrayLength());
        await OkAsync(root, "operators", "revoke", "hank");
        var audit = await JsonAsync(root, "audit", "--action", "team.create", "--limit", "5");
        Assert.Equal("ml", audit[0].GetProperty("target").GetString());
    }

    [Fact]
    public async Task BadInputAndRefusals_HaveTheirExitCodes_AndClearMessages()
    {
        var root = _gw.RootKey;
        Assert.Equal((AdminCli.ExitCodes.NotFound, "user_not_found"), await Code(root, "users", "get", "nobody"));
        Assert.Equal((AdminCli.ExitCodes.Denied, "invalid_credentials"), await Code("gw_" + new string('x', 40), "whoami"));
        await OkAsync(root, "teams", "create", "acme", "ml");
        Assert.Equal((AdminCli.ExitCodes.Conflict, "name_taken"), await Code(root, "teams", "create", "acme", "ml"));
        var invalid = await CliAsync(root, "projects", "create", "ml", "p", "--visibility", "secretish");
        Assert.Equal(AdminCli.ExitCodes.Invalid, invalid.Exit);
        Assert.Contains("visibility", invalid.Errors);

        // Usage: unknown command, missing argument or option, an option the command does not take, too many arguments.
        Assert.Equal(AdminCli.ExitCodes.Usage, (await CliAsync(root, "teams", "explode")).Exit);
        Assert.Equal(AdminCli.ExitCodes.Usage, (await CliAsync(root, "teams", "create", "acme")).Exit);
        Assert.Equal(AdminCli.ExitCodes.Usage, (await CliAsync(root, "members", "set", "ml", "bob")).Exit);
        var typo = await CliAsync(root, "teams", "create", "acme", "cv", "--visibilty", "x");
        Assert.Equal(AdminCli.ExitCodes.Usage, typo.Exit);
        Assert.Contains("--visibilty", typo.Errors);
        Assert.Equal(AdminCli.ExitCodes.Usage, (await CliAsync(root, "teams", "create", "acme", "cv", "extra")).Exit);
        Assert.Equal(AdminCli.ExitCodes.Usage, (await CliAsync(root, "whoami", "--output", "yaml")).Exit);

        // The key: never from argv; missing is a usage error; a key file works.
        var argv = await CliAsync(null, "whoami", "--key", root);
        Assert.Equal(AdminCli.ExitCodes.Usage, argv.Exit);
        Assert.Contains("never taken from the command line", argv.Errors);
        Assert.DoesNotContain(root, argv.Errors);
        Assert.Equal(AdminCli.ExitCodes.Usage, (await CliAsync(null, "whoami")).Exit);
        using var dir = new TempDirectory();
        File.WriteAllText(dir.File("key"), root + "\n");
        Assert.Equal(AdminCli.ExitCodes.Ok, (await CliAsync(null, "whoami", "--key-file", dir.File("key"))).Exit);

        // Nothing listening: unavailable.
        Assert.Equal(AdminCli.ExitCodes.Unavailable, (await CliAsync(root, "whoami", "--url", "http://127.0.0.1:9")).Exit);
    }

    private async Task<(int, string)> Code(string key, params string[] args)
    {
        var (exit, _, errors) = await CliAsync(key, args);
        var match = System.Text.RegularExpressions.Regex.Match(errors, @"^error: \d+ ([a-z_]+)");
        return (exit, match.Groups[1].Value);
    }

    [Fact]
    public async Task TheGatewayProgram_RunsTheCli_AsASubcommand()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "Gateway.dll"), "admin", "whoami", "--url", _gw.AdminUrl.ToString() })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["GATEWAY_KEY"] = _gw.RootKey;
        using var process = Process.Start(info)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(0, process.ExitCode);
        Assert.Contains("principal", output);
        Assert.Contains("root", output);
    }
}
