using System.Diagnostics;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// No container engine runs here: run the Dockerfile's build-stage steps as written (the restore from
/// the project files, then the ReadyToRun publish) and start what they produce, with the runtime
/// image's settings that can be checked without one.
/// </summary>
public sealed class PublishTests
{
    [Fact]
    public async Task TheDockerfileBuildSteps_ProduceAGatewayThatStarts()
    {
        var root = RepositoryRoot.Find();
        var dockerfile = await File.ReadAllLinesAsync(Path.Combine(root, "Dockerfile"));
        var build = dockerfile.TakeWhile(l => !l.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet", StringComparison.Ordinal)).ToList();
        var steps = build.Where(l => l.StartsWith("RUN dotnet ", StringComparison.Ordinal)).Select(l => l["RUN ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Equal(["restore", "publish"], steps.Select(s => s[1]));
        // The restore layer sees only the project files (cached until one changes); the publish needs no second restore.
        Assert.True(build.FindIndex(l => l.StartsWith("RUN dotnet restore", StringComparison.Ordinal)) < build.IndexOf("COPY . ."));
        Assert.Contains("--no-restore", steps[1]);
        Assert.Contains("-p:PublishReadyToRun=true", steps[1]);
        Assert.Contains("USER app", dockerfile);
        Assert.Contains("VOLUME [\"/srv/data\"]", dockerfile);
        Assert.Contains("ENV ASPNETCORE_HTTP_PORTS=", dockerfile);

        using var output = new TempDirectory();
        foreach (var step in steps)
        {
            var info = new ProcessStartInfo("dotnet") { WorkingDirectory = root, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in step.Skip(1))
            {
                info.ArgumentList.Add(arg == "/app" ? output.File("app") : arg);
            }

            using var process = Process.Start(info)!;
            var log = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            Assert.True(process.WaitForExit(TimeSpan.FromMinutes(8)), $"dotnet {step[1]} timed out");
            process.WaitForExit();
            Assert.True(process.ExitCode == 0, $"dotnet {step[1]}: " + await log + await errors);
        }

        Assert.True(File.Exists(output.File("app/Gateway.dll")));
        // ReadyToRun code is there: the assembly carries a native code header beside its IL.
        using (var pe = new System.Reflection.PortableExecutable.PEReader(File.OpenRead(output.File("app/Gateway.dll"))))
        {
            Assert.True(pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, "Gateway.dll is not ReadyToRun");
        }

        using var gateway = GatewayProcess.Start(output.Path, output.File("data/gateway.db"), output.File("app/Gateway.dll"));
        Assert.True(await gateway.WaitReadyAsync(TimeSpan.FromSeconds(60)), gateway.Output);
        Assert.True(File.Exists(output.File("data/bootstrap-admin.key")));
    }
}
