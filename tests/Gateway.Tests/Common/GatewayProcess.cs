using System.Diagnostics;
using System.Text;

namespace Gateway.Tests.Common;

/// <summary>The gateway as a separate OS process (<c>dotnet Gateway.dll</c>), for crash and lock tests.</summary>
public sealed class GatewayProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    // The process binds port 0 and logs which ports it got (ListenersBound): no port is guessed free
    // here and then taken by another process in between.
    private static readonly System.Text.RegularExpressions.Regex Listening = new(@"Listening: proxy port (\d+)[0-9,]*; admin port (\d+)");
    private readonly TaskCompletionSource<(int Proxy, int Admin)> _ports = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private GatewayProcess(Process process, string storePath)
    {
        _process = process;
        StorePath = storePath;
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string StorePath { get; }

    public Uri ProxyUrl => new($"http://127.0.0.1:{Ports.Proxy}");

    public Uri AdminUrl => new($"http://127.0.0.1:{Ports.Admin}");

    private (int Proxy, int Admin) Ports => _ports.Task.IsCompletedSuccessfully
        ? _ports.Task.Result
        : throw new InvalidOperationException("The gateway process has not reported its ports yet (WaitReadyAsync first).");

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static GatewayProcess Start(string workDir, string storePath, string? gatewayDll = null, params string[] extraArgs)
    {
        gatewayDll ??= Path.Combine(AppContext.BaseDirectory, "Gateway.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string[] arguments =
        [
            gatewayDll, "--Gateway:Proxy:Urls=http://127.0.0.1:0", "--Gateway:Admin:Urls=http://127.0.0.1:0", "--Logging:LogLevel:Gateway.Hosting=Information",
            $"--Gateway:Store:Path={storePath}", "--Gateway:Bootstrap:Organization=acme", "--Gateway:Bootstrap:AdminUser=root",
            "--Gateway:Federation:AllowPrivateIssuerAddresses=true",
            .. extraArgs,
        ];
        foreach (var arg in arguments)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_gcServer"] = "0";
        return new GatewayProcess(Process.Start(info)!, storePath);
    }

    /// <summary>Waits until /healthz answers; false when the process exits first or time runs out.</summary>
    public async Task<bool> WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            if (!_ports.Task.IsCompleted)
            {
                await Task.Delay(50);
                continue;
            }

            try
            {
                if ((await http.GetAsync(new Uri(AdminUrl, "/healthz"))).IsSuccessStatusCode)
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }

            await Task.Delay(100);
        }

        return false;
    }

    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            return false;
        }

        // The timed overload does not wait for the redirected output to drain; this one does.
        _process.WaitForExit();
        return true;
    }

    /// <summary>SIGTERM: the host drains in-flight requests and runs its shutdown code.</summary>
    public void Terminate()
    {
        if (kill(_process.Id, 15) != 0)
        {
            throw new InvalidOperationException($"kill -TERM {_process.Id} failed: errno {System.Runtime.InteropServices.Marshal.GetLastWin32Error()}");
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    /// <summary>SIGKILL: no shutdown code runs.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(10_000);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            Kill();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (Listening.Match(line) is { Success: true } match)
        {
            _ports.TrySetResult((int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), int.Parse(match.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)));
        }
    }
}
