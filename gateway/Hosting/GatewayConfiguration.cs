using Microsoft.Extensions.Configuration;

namespace Gateway.Hosting;

/// <summary>
/// Where gateway.json comes from: <c>--config PATH</c>, else <c>gateway.json</c> in the working
/// directory. Environment variables and the command line still override it, the ASP.NET way.
/// </summary>
internal static class GatewayConfiguration
{
    public const string DefaultFile = "gateway.json";

    public static string? ResolvePath(string[] args, out string? error)
    {
        error = null;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "--config" or "--config=" || args[i].StartsWith("--config=", StringComparison.Ordinal))
            {
                var path = args[i].StartsWith("--config=", StringComparison.Ordinal) ? args[i]["--config=".Length..] : i + 1 < args.Length ? args[i + 1] : "";
                if (string.IsNullOrEmpty(path))
                {
                    error = "--config needs a path: --config /etc/gateway/gateway.json.";
                    return null;
                }

                var full = Path.GetFullPath(path);
                if (!File.Exists(full))
                {
                    error = $"The configuration file '{full}' (from --config) does not exist.";
                    return null;
                }

                return full;
            }
        }

        var fallback = Path.GetFullPath(DefaultFile);
        return File.Exists(fallback) ? fallback : null;
    }

    public static void Add(IConfigurationManager configuration, string? path, string[] args, Action<FileLoadExceptionContext>? onLoadException = null)
    {
        if (path is not null)
        {
            configuration.AddJsonFile(source =>
            {
                source.Path = path;
                source.Optional = false;
                source.ReloadOnChange = true;
                source.OnLoadException = onLoadException;
                source.ResolveFileProvider();
            });
        }

        // Re-added after the file so that they override it, as ASP.NET Core's defaults do for appsettings.json.
        configuration.AddEnvironmentVariables();
        configuration.AddCommandLine(WithoutConfigPath(args));
    }

    /// <summary>Why a configuration file did not load, where it says so (the JSON reader's message names the line and position).</summary>
    public static string LoadError(Exception exception)
    {
        var innermost = exception;
        while (innermost.InnerException is { } inner)
        {
            innermost = inner;
        }

        return innermost.Message;
    }

    // Both "--config=PATH" and "--config PATH": left in, the path would be read as a switch of its own
    // and swallow the next argument (an override placed after --config was silently lost).
    private static string[] WithoutConfigPath(string[] args)
    {
        var kept = new List<string>(args.Length);
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--config")
            {
                i++;
                continue;
            }

            if (!args[i].StartsWith("--config=", StringComparison.Ordinal))
            {
                kept.Add(args[i]);
            }
        }

        return [.. kept];
    }
}
