namespace Gateway.Cli;

/// <summary>
/// <c>gateway health [--url URL]</c>: asks a running gateway's readiness endpoint and exits 0 when it
/// answers 200, 1 otherwise. A container's health check needs no shell, curl or <c>/dev/tcp</c> (the
/// aspnet image's <c>/bin/sh</c> is dash, which has none): the gateway binary is the probe.
/// </summary>
internal static class HealthCommand
{
    public const string DefaultUrl = "http://127.0.0.1:5080/readyz";

    public static bool Matches(string[] args) => args.Length >= 1 && args[0] == "health";

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter errors)
    {
        var url = DefaultUrl;
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == "--url" && i + 1 < args.Length)
            {
                url = args[++i];
            }
            else
            {
                await errors.WriteLineAsync($"usage: gateway health [--url URL]   (default {DefaultUrl}); unexpected '{args[i]}'");
                return 2;
            }
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            await errors.WriteLineAsync($"gateway health: '{url}' is not an absolute http(s) URL.");
            return 2;
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        try
        {
            using var response = await http.GetAsync(uri);
            var status = (int)response.StatusCode;
            await (status == 200 ? output : errors).WriteLineAsync($"{uri}: {status}");
            return status == 200 ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            await errors.WriteLineAsync($"{uri}: not reachable ({ex.GetType().Name}: {ex.Message})");
            return 1;
        }
    }
}
