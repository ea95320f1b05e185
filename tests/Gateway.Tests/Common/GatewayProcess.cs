using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Gateway.Tests.Common;

/// <summary>The gateway as a separate OS process (<c>dotnet Gateway.dll</c>), for crash and lock tests.</summary>
public sealed class GatewayProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private GatewayProcess(Process process, string storePath, int proxyPort, int adminPort)
    {
        _process = process;
        StorePath = storePath;
        ProxyUrl = new Uri($"http://127.0.0.1:{proxyPort}");
        AdminUrl = new Uri($"http://127.0.0.1:{adminPort}");
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string StorePath { get; }

    public Uri ProxyUrl { get; }

    public Uri AdminUrl { get; }

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
        var (proxy, admin) = (FreePort(), FreePort());
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
            gatewayDll, $"--Gateway:Proxy:Urls=http://127.0.0.1:{proxy}", $"--Gateway:Admin:Urls=http://127.0.0.1:{admin}",
            $"--Gateway:Store:Path={storePath}", "--Gateway:Bootstrap:Organization=acme", "--Gateway:Bootstrap:AdminUser=root",
            .. extraArgs,
        ];
        foreach (var arg in arguments)
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["DOTNET_gcServer"] = "0";
        return new GatewayProcess(Process.Start(info)!, storePath, proxy, admin);
    }

    /// <summary>Waits until /healthz answers; false when the process exits first or time runs out.</summary>
    public async Task<bool> WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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
    }
}
