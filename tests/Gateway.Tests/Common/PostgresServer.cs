using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace Gateway.Tests.Common;

/// <summary>
/// A real, throwaway PostgreSQL server (Debian's postgresql package; <c>.ci/run</c> installs it):
/// initdb in a temp directory, pg_ctl on a free loopback port, password authentication, fsync off.
/// As root the server runs as the <c>postgres</c> user (it refuses root). Stop and start it to
/// simulate an outage; dispose removes everything.
/// </summary>
public sealed class PostgresServer : IAsyncDisposable
{
    public const string Password = "pg-test-secret";
    private static readonly bool AsRoot = Environment.IsPrivilegedProcess;
    private readonly string _bin;
    private readonly string _dir;

    private PostgresServer(string bin, string dir, int port)
    {
        _bin = bin;
        _dir = dir;
        Port = port;
    }

    public int Port { get; private set; }

    public static async Task<PostgresServer> StartAsync()
    {
        var bin = await FindOrInstallAsync();
        var dir = Path.Combine("/tmp", "gw-pg-" + Guid.NewGuid().ToString("N")[..10]);
        System.IO.Directory.CreateDirectory(Path.Combine(dir, "sock"));
        await File.WriteAllTextAsync(Path.Combine(dir, "pwfile"), Password + "\n");
        if (AsRoot)
        {
            await RunAsync("chown", ["-R", "postgres:postgres", dir]);
        }

        await RunAsync(Path.Combine(bin, "initdb"), ["-D", Path.Combine(dir, "data"), "-U", "postgres", "--pwfile=" + Path.Combine(dir, "pwfile"),
            "--auth=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], asPostgres: true);
        var server = new PostgresServer(bin, dir, 0);
        await server.StartServerAsync();
        return server;
    }

    private static readonly SemaphoreSlim InstallGate = new(1, 1);

    // Debian's server binaries are not on PATH; a machine without them gets them from apt, as .ci/run does.
    private static async Task<string> FindOrInstallAsync()
    {
        static string? Find() => System.IO.Directory.Exists("/usr/lib/postgresql")
            ? System.IO.Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => d, StringComparer.Ordinal)
                .FirstOrDefault()
            : null;

        await InstallGate.WaitAsync();
        try
        {
            if (Find() is { } found)
            {
                return found;
            }

            var sudo = AsRoot ? "" : "sudo ";
            await RunAsync("bash", ["-c", $"{sudo}apt-get update -qq && DEBIAN_FRONTEND=noninteractive {sudo}apt-get install -y -qq postgresql >/dev/null"]);
            return Find() ?? throw new InvalidOperationException("PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin after apt-get install postgresql.");
        }
        finally
        {
            InstallGate.Release();
        }
    }

    /// <summary>A connection string for <paramref name="database"/> on this server.</summary>
    public string ConnectionString(string database = "postgres")
        => $"Host=127.0.0.1;Port={Port};Username=postgres;Password={Password};Database={database};Pooling=true";

    /// <summary>Creates an empty database with a fresh name; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "gw_" + Guid.NewGuid().ToString("N")[..12];
        // Unpooled: a pooled connection would outlive this server and be handed to the next one on its port.
        await using var connection = new NpgsqlConnection(ConnectionString() + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>Stops the server at once (clients see their connections fail).</summary>
    public Task StopAsync() => RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", Path.Combine(_dir, "data"), "-m", "immediate", "-w", "stop"], asPostgres: true);

    /// <summary>Starts it again on the same port.</summary>
    public async Task StartServerAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = Port != 0 ? Port : FreePort();
            try
            {
                await RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", Path.Combine(_dir, "data"), "-l", Path.Combine(_dir, "log"), "-w", "-t", "30", "-o",
                    $"-p {port} -k {Path.Combine(_dir, "sock")} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=300", "start"], asPostgres: true);
                Port = port;
                return;
            }
            catch (InvalidOperationException) when (attempt < 5 && Port == 0)
            {
                // The free port was taken between probing and binding: another one.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        System.IO.Directory.Delete(_dir, recursive: true);
    }

    // Below the kernel's ephemeral range (32768 and up here): no socket bound to port 0 by another test
    // can take it, so a server stopped for an outage test finds its port free when it starts again.
    internal static int FreePort()
    {
        while (true)
        {
            var port = Random.Shared.Next(20_000, 32_000);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken: another.
            }
        }
    }

    private static async Task RunAsync(string file, string[] args, bool asPostgres = false)
    {
        var info = asPostgres && AsRoot ? new ProcessStartInfo("runuser") : new ProcessStartInfo(file);
        if (asPostgres && AsRoot)
        {
            foreach (var arg in new[] { "-u", "postgres", "--", file })
            {
                info.ArgumentList.Add(arg);
            }
        }

        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.WorkingDirectory = "/tmp";
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {process.ExitCode}: {await output}\n{await errors}");
        }
    }
}
