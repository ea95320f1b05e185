using System.Diagnostics;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>No container engine runs here: run the Dockerfile's publish step and start what it produces.</summary>
public sealed class PublishTests
{
    private const string PublishStep = "RUN dotnet publish gateway/Gateway.csproj -c Release -o /app";

    [Fact]
    public async Task TheDockerfilePublishStep_ProducesAGatewayThatStarts()
    {
        var root = RepositoryRoot.Find();
        var dockerfile = await File.ReadAllTextAsync(Path.Combine(root, "Dockerfile"));
        Assert.Contains(PublishStep, dockerfile);
        Assert.Contains("USER app", dockerfile);
        Assert.Contains("VOLUME [\"/srv/data\"]", dockerfile);

        using var output = new TempDirectory();
        var publish = new ProcessStartInfo("dotnet") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "publish", "gateway/Gateway.csproj", "-c", "Release", "-o", output.File("app") })
        {
            publish.ArgumentList.Add(arg);
        }

        using (var process = Process.Start(publish)!)
        {
            var log = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(5)), "publish timed out");
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, await log + await errors);
        }

        Assert.True(File.Exists(output.File("app/Gateway.dll")));
        using var gateway = GatewayProcess.Start(output.Path, output.File("data/gateway.db"), output.File("app/Gateway.dll"));
        Assert.True(await gateway.WaitReadyAsync(TimeSpan.FromSeconds(60)), gateway.Output);
        Assert.True(File.Exists(output.File("data/bootstrap-admin.key")));
    }
}
