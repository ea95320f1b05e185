using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gateway.LoadTests;

/// <summary>External tools: wrk and nginx from Debian, installed when missing; small process helpers.</summary>
internal static class Tools
{
    public static readonly bool HasTaskset = Which("taskset") is not null;

    public static string Wrk => Which("wrk") ?? throw new InvalidOperationException("wrk is not installed.");

    public static string Nginx => Which("nginx") ?? (File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : throw new InvalidOperationException("nginx is not installed."));

    public static void EnsureInstalled(bool install)
    {
        var missing = new List<string>();
        if (Which("wrk") is null)
        {
            missing.Add("wrk");
        }

        if (Which("nginx") is null && !File.Exists("/usr/sbin/nginx"))
        {
            missing.Add("nginx-light");
        }

        if (missing.Count == 0)
        {
            return;
        }

        if (!install)
        {
            throw new InvalidOperationException($"Missing: {string.Join(", ", missing)}. Install them (apt-get install -y {string.Join(' ', missing)}) or drop --no-install.");
        }

        Console.WriteLine($"Installing {string.Join(", ", missing)} from Debian...");
        var sudo = Environment.UserName == "root" ? "" : "sudo ";
        Run("bash", "-c", $"{sudo}apt-get update -qq && DEBIAN_FRONTEND=noninteractive {sudo}apt-get install -y -qq {string.Join(' ', missing)}");
    }

    /// <summary>Output whatever the exit code (wrk --version exits 1).</summary>
    public static string RunUnchecked(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return output.Result + errors.Result;
    }

    public static string Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({process.ExitCode}):\n{output.Result}\n{errors.Result}");
        }

        return output.Result + errors.Result;
    }

    public static string? Which(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Concat(["/usr/sbin", "/usr/bin"]))
        {
            var path = Path.Combine(dir, name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        return null;
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<TimeSpan> WaitForAsync(string url, TimeSpan timeout, ManagedProcess? process = null)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < timeout)
        {
            if (process is { HasExited: true })
            {
                throw new InvalidOperationException($"{process.Name} exited before it was ready; see its log.");
            }

            try
            {
                if ((await http.GetAsync(url)).IsSuccessStatusCode)
                {
                    return watch.Elapsed;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"{url} did not answer within {timeout}.");
    }

    public static string RepositoryRoot()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Gateway.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("Run from inside the repository (Gateway.sln not found).");
    }
}
