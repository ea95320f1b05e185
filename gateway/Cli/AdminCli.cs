using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Gateway.Cli;

/// <summary>
/// <c>gateway admin COMMAND ...</c>: the admin API from the command line, for operators and CI jobs.
/// The admin URL comes from <c>--url</c> or GATEWAY_URL (default http://127.0.0.1:5081); the key from
/// <c>--key-file</c>, GATEWAY_KEY or GATEWAY_KEY_FILE, never from the command line (argv shows in
/// process lists and shell histories). Exit codes say what happened (see <see cref="ExitCodes"/>).
/// </summary>
internal static class AdminCli
{
    public static class ExitCodes
    {
        public const int Ok = 0;
        public const int Usage = 2;
        public const int NotFound = 3;
        public const int Denied = 4;
        public const int Conflict = 5;
        public const int Invalid = 6;
        public const int Unavailable = 7;
    }

    public static bool Matches(string[] args) => args.Length >= 1 && args[0] == "admin";

    public static async Task<int> RunAsync(string[] args, IReadOnlyDictionary<string, string?> environment, TextWriter output, TextWriter errors, HttpMessageHandler? handler = null)
    {
        try
        {
            return await RunCoreAsync(args[1..], environment, output, errors, handler);
        }
        catch (CliUsageException ex)
        {
            await errors.WriteLineAsync("error: " + ex.Message);
            return ExitCodes.Usage;
        }
    }

    private static async Task<int> RunCoreAsync(string[] args, IReadOnlyDictionary<string, string?> environment, TextWriter output, TextWriter errors, HttpMessageHandler? handler)
    {
        var command = CliCommands.All
            .Where(c => args.Length >= c.Words.Split(' ').Length && c.Words.Split(' ').SequenceEqual(args.Take(c.Words.Split(' ').Length)))
            .MaxBy(c => c.Words.Length);
        if (command is null || args.Contains("--help"))
        {
            await errors.WriteLineAsync(Usage());
            return args.Length == 0 || args.Contains("--help") ? ExitCodes.Usage : await Unknown(args, errors);
        }

        var arguments = new CliArguments(args.Skip(command.Words.Split(' ').Length));
        if (arguments.Option("key") is not null)
        {
            throw new CliUsageException("A key is never taken from the command line: set GATEWAY_KEY or pass --key-file PATH.");
        }

        var url = arguments.Option("url") ?? environment.GetValueOrDefault("GATEWAY_URL") ?? "http://127.0.0.1:5081";
        var format = arguments.Option("output") ?? "table";
        if (format is not ("table" or "json"))
        {
            throw new CliUsageException("--output is table or json.");
        }

        var key = ReadKey(arguments.Option("key-file") ?? environment.GetValueOrDefault("GATEWAY_KEY_FILE"), environment.GetValueOrDefault("GATEWAY_KEY"));
        var request = command.Build(arguments);
        var expected = command.Arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).TakeWhile(t => t[0] is not ('-' or '[' or '(')).Count();
        if (arguments.PositionalCount > expected)
        {
            throw new CliUsageException($"Too many arguments. Usage: gateway admin {command.Words} {command.Arguments}");
        }

        if (arguments.Unread.FirstOrDefault() is { } unread)
        {
            throw new CliUsageException($"'{command.Words}' takes no --{unread}. Usage: gateway admin {command.Words} {command.Arguments}");
        }

        if (!Uri.TryCreate(url.TrimEnd('/') + "/admin/v1" + request.Path, UriKind.Absolute, out var target) || target.Scheme is not ("http" or "https"))
        {
            throw new CliUsageException($"'{url}' is not an http(s) URL of the admin listener.");
        }

        using var http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        http.Timeout = TimeSpan.FromSeconds(30);
        using var message = new HttpRequestMessage(request.Method, target);
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        if (request.Body is not null)
        {
            message.Content = new StringContent(request.Body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(message);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            await errors.WriteLineAsync($"error: the admin API at {url} cannot be reached ({ex.GetType().Name}: {ex.Message})");
            return ExitCodes.Unavailable;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                if (text.Length > 0)
                {
                    using var document = JsonDocument.Parse(text);
                    await output.WriteLineAsync(CliOutput.Render(document.RootElement, format == "json"));
                }

                return ExitCodes.Ok;
            }

            await errors.WriteLineAsync(Problem(status, text));
            return status switch
            {
                404 => ExitCodes.NotFound,
                401 or 403 => ExitCodes.Denied,
                409 => ExitCodes.Conflict,
                >= 500 or 429 => ExitCodes.Unavailable,
                _ => ExitCodes.Invalid,
            };
        }
    }

    internal static string ReadKey(string? file, string? value)
    {
        if (file is not null)
        {
            try
            {
                return File.ReadAllText(file).Trim() is { Length: > 0 } key ? key : throw new CliUsageException($"The key file '{file}' is empty.");
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliUsageException($"The key file '{file}' cannot be read ({ex.GetType().Name}).");
            }
        }

        return value is { Length: > 0 } ? value.Trim() : throw new CliUsageException("No key: set GATEWAY_KEY, GATEWAY_KEY_FILE or pass --key-file PATH.");
    }

    internal static string Problem(int status, string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            var root = document.RootElement;
            var line = new StringBuilder($"error: {status}");
            if (root.TryGetProperty("code", out var code))
            {
                line.Append(' ').Append(code.GetString());
            }

            if (root.TryGetProperty("detail", out var detail))
            {
                line.Append(": ").Append(detail.GetString());
            }

            if (root.TryGetProperty("errors", out var fields) && fields.ValueKind == JsonValueKind.Object)
            {
                foreach (var field in fields.EnumerateObject())
                {
                    line.Append("\n  ").Append(field.Name).Append(": ").Append(string.Join("; ", field.Value.EnumerateArray().Select(m => m.ToString())));
                }
            }

            return line.ToString();
        }
        catch (JsonException)
        {
            return $"error: {status}";
        }
    }

    private static async Task<int> Unknown(string[] args, TextWriter errors)
    {
        await errors.WriteLineAsync($"error: unknown command '{string.Join(' ', args.TakeWhile(a => !a.StartsWith("--", StringComparison.Ordinal)).Take(2))}'.");
        return ExitCodes.Usage;
    }

    public static string Usage()
    {
        var text = new StringBuilder("usage: gateway admin COMMAND [ARGS] [--url URL] [--key-file PATH] [--output table|json]\n");
        text.AppendLine("key: GATEWAY_KEY or GATEWAY_KEY_FILE or --key-file (never on the command line); url: --url or GATEWAY_URL (http://127.0.0.1:5081)");
        text.AppendLine("exit codes: 0 ok, 2 usage, 3 not found, 4 unauthenticated or denied, 5 conflict, 6 invalid request, 7 unavailable\n");
        foreach (var command in CliCommands.All)
        {
            text.AppendLine($"  {command.Words} {command.Arguments}".TrimEnd());
            text.AppendLine($"      {command.Help}");
        }

        return text.ToString().TrimEnd();
    }
}
