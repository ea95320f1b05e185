using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Gateway.Tests.ForwardAuth;

/// <summary>
/// A real nginx (Debian's, with the auth_request module) in front of the recording upstream, asking the
/// gateway's <c>/verify/auth-request</c> for every request and setting the identity headers it answers:
/// the configuration docs/forward-auth.md shows.
/// </summary>
internal sealed class NginxAuthRequest : IDisposable
{
    private readonly Process _process;
    private readonly string _dir;

    private NginxAuthRequest(Process process, string dir, int port) => (_process, _dir, Url) = (process, dir, new Uri($"http://127.0.0.1:{port}"));

    public Uri Url { get; }

    public static string Binary => File.Exists("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx";

    /// <summary>The identity and credential headers the upstream gets from the gateway's answer (and only from it).</summary>
    public static readonly string[] Forwarded =
    [
        "X-Gateway-Principal", "X-Gateway-Principal-Type", "X-Gateway-Org", "X-Gateway-Entity", "X-Gateway-Project",
        "X-Gateway-Auth-Method", "X-Gateway-Key-Id", "X-Gateway-Attributed-User", "X-Gateway-Identity",
        "X-WANDB-USERNAME", "X-WANDB-USER-EMAIL", "Authorization", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host",
    ];

    /// <summary>Credentials and forwarding headers the gateway never sets: emptied (nginx then sends no such header).</summary>
    public static readonly string[] Emptied = Transforms.IdentityHeaderNames.Stripped.Where(h => !Forwarded.Contains(h, StringComparer.OrdinalIgnoreCase)).ToArray();

    public static string Config(string dir, int port, int authorizerPort, Uri upstream)
    {
        static string Variable(string header) => "$gw_" + header.ToLowerInvariant().Replace('-', '_');
        var set = string.Join("\n", Forwarded.Select(h => $"      auth_request_set {Variable(h)} $upstream_http_{h.ToLowerInvariant().Replace('-', '_')};\n      proxy_set_header {h} {Variable(h)};"));
        var emptied = string.Join("\n", Emptied.Select(h => $"      proxy_set_header {h} \"\";"));
        return $$"""
            worker_processes 1;
            daemon off;
            master_process off;
            pid {{dir}}/nginx.pid;
            error_log {{dir}}/error.log warn;
            events { worker_connections 256; }
            http {
              access_log off;
              client_body_temp_path {{dir}}/body;
              proxy_temp_path {{dir}}/proxy;
              fastcgi_temp_path {{dir}}/fastcgi;
              uwsgi_temp_path {{dir}}/uwsgi;
              scgi_temp_path {{dir}}/scgi;
              server {
                listen 127.0.0.1:{{port}};
                location = /_gateway_verify {
                  internal;
                  proxy_pass http://127.0.0.1:{{authorizerPort}}/verify/auth-request;
                  proxy_pass_request_body off;
                  proxy_set_header Content-Length "";
                  proxy_set_header X-Original-Method $request_method;
                  proxy_set_header X-Original-URI $request_uri;
                  proxy_set_header X-Forwarded-Host $host;
                  proxy_set_header X-Forwarded-Proto $scheme;
                  proxy_set_header X-Real-IP $remote_addr;
                }
                location / {
                  auth_request /_gateway_verify;
                  auth_request_set $gw_status $upstream_http_x_gateway_status;
                  auth_request_set $gw_code $upstream_http_x_gateway_code;
                  auth_request_set $gw_request_id $upstream_http_x_request_id;
            {{set}}
            {{emptied}}
                  error_page 401 = @unauthorized;
                  error_page 403 = @refused;
                  proxy_pass {{upstream.ToString().TrimEnd('/')}};
                }
                location @unauthorized {
                  default_type application/problem+json;
                  add_header X-Request-Id $gw_request_id always;
                  return 401 '{"status":401,"code":"$gw_code","requestId":"$gw_request_id"}';
                }
                location @refused {
                  default_type application/problem+json;
                  add_header X-Gateway-Status $gw_status always;
                  add_header X-Request-Id $gw_request_id always;
                  return 403 '{"status":403,"code":"$gw_code","gatewayStatus":"$gw_status","requestId":"$gw_request_id"}';
                }
              }
            }
            """;
    }

    public static async Task<NginxAuthRequest> StartAsync(int authorizerPort, Uri upstream)
    {
        var dir = Path.Combine(Path.GetTempPath(), "gw-nginx-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(dir);
        for (var attempt = 0; ; attempt++)
        {
            var port = Common.PostgresServer.FreePort();
            await File.WriteAllTextAsync(Path.Combine(dir, "nginx.conf"), Config(dir, port, authorizerPort, upstream));
            var process = Process.Start(new ProcessStartInfo(Binary, ["-p", dir, "-c", Path.Combine(dir, "nginx.conf"), "-e", Path.Combine(dir, "error.log")])
            {
                RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false,
            })!;
            var started = Stopwatch.StartNew();
            while (started.Elapsed < TimeSpan.FromSeconds(10) && !process.HasExited)
            {
                try
                {
                    using var client = new TcpClient();
                    await client.ConnectAsync(IPAddress.Loopback, port);
                    return new NginxAuthRequest(process, dir, port);
                }
                catch (SocketException)
                {
                    await Task.Delay(50);
                }
            }

            var error = File.Exists(Path.Combine(dir, "error.log")) ? await File.ReadAllTextAsync(Path.Combine(dir, "error.log")) : "";
            try
            {
                process.Kill();
            }
            catch (InvalidOperationException)
            {
                // Exited.
            }

            // A port taken between the probe and nginx's bind: another one.
            if (attempt >= 3 || !error.Contains("Address already in use", StringComparison.Ordinal))
            {
                throw new InvalidOperationException("nginx did not start: " + error);
            }
        }
    }

    public void Dispose()
    {
        try
        {
            _process.Kill();
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // nginx may still be closing its logs.
        }
    }
}
