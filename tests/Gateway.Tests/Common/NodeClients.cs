using System.Diagnostics;
using Xunit;

namespace Gateway.Tests.Common;

/// <summary>
/// Runs the unmodified npm clients pinned in tests/js (package-lock.json): installs them once with
/// <c>npm ci</c> when missing, and runs a script there in a fresh HOME (no netrc or wandb settings from
/// the machine leak in).
/// </summary>
internal static class NodeClients
{
    public static readonly string Directory = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "..", "js"));
    private static readonly SemaphoreSlim InstallGate = new(1, 1);

    public static async Task EnsureInstalledAsync()
    {
        await InstallGate.WaitAsync();
        try
        {
            if (!File.Exists(Path.Combine(Directory, "node_modules", "@wandb", "sdk", "package.json"))
                || !File.Exists(Path.Combine(Directory, "node_modules", "weave", "package.json")))
            {
                var (exit, output, errors) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], new Dictionary<string, string>(), TimeSpan.FromMinutes(5));
                Assert.True(exit == 0, $"npm ci failed ({exit}): {output}\n{errors}");
            }
        }
        finally
        {
            InstallGate.Release();
        }
    }

    public static async Task<(int Exit, string Output, string Errors)> RunAsync(string file, string[] args, Dictionary<string, string> environment, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = Directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var home = Path.Combine(Path.GetTempPath(), "gw-js-home-" + Guid.NewGuid().ToString("N")[..8]);
        start.Environment["HOME"] = home;
        foreach (var name in new[] { "WANDB_ENTITY", "WANDB_BASE_URL", "WANDB_API_KEY", "WF_TRACE_SERVER_URL", "NODE_EXTRA_CA_CERTS", "NODE_TLS_REJECT_UNAUTHORIZED", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy" })
        {
            start.Environment.Remove(name);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        try
        {
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(90));
            try
            {
                await process.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{file} did not finish: {await output}\n{await errors}");
            }

            return (process.ExitCode, await output, await errors);
        }
        finally
        {
            if (System.IO.Directory.Exists(home))
            {
                System.IO.Directory.Delete(home, recursive: true);
            }
        }
    }
}
