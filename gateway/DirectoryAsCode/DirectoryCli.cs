using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Gateway.Cli;

namespace Gateway.DirectoryAsCode;

/// <summary>
/// <c>gateway directory export|apply</c>: the admin API's directory endpoints from the command line,
/// with the admin CLI's URL, key and exit-code conventions (<see cref="AdminCli"/>). The CLI decides
/// nothing itself: the gateway checks the document and the caller's rights.
/// </summary>
internal static class DirectoryCli
{
    /// <summary>Exit code of <c>apply --dry-run</c> when the document would change the directory (as <c>terraform plan -detailed-exitcode</c>).</summary>
    public const int Changes = 2;

    /// <summary>
    /// A mistake in how the command was called. Not the admin CLI's 2: a CI job gating on "exit 2 means
    /// changes" must not take a typo for a plan (sysexits' EX_USAGE).
    /// </summary>
    public const int Usage = 64;

    public static bool Matches(string[] args) => args.Length >= 1 && args[0] == "directory";

    public static async Task<int> RunAsync(string[] args, IReadOnlyDictionary<string, string?> environment, TextWriter output, TextWriter errors, HttpMessageHandler? handler = null)
    {
        try
        {
            return args.Length >= 2 && args[1] is "export" or "apply" && !args.Contains("--help")
                ? await RunCoreAsync(args[1], new CliArguments(args.Skip(2)), environment, output, errors, handler)
                : await UsageAsync(errors, args.Contains("--help") ? null : "unknown or missing command");
        }
        catch (CliUsageException ex)
        {
            await errors.WriteLineAsync("error: " + ex.Message);
            return Usage;
        }
    }

    private static async Task<int> RunCoreAsync(string command, CliArguments arguments, IReadOnlyDictionary<string, string?> environment, TextWriter output, TextWriter errors, HttpMessageHandler? handler)
    {
        if (arguments.Option("key") is not null)
        {
            throw new CliUsageException("A key is never taken from the command line: set GATEWAY_KEY or pass --key-file PATH.");
        }

        var url = arguments.Option("url") ?? environment.GetValueOrDefault("GATEWAY_URL") ?? "http://127.0.0.1:5081";
        var key = AdminCli.ReadKey(arguments.Option("key-file") ?? environment.GetValueOrDefault("GATEWAY_KEY_FILE"), environment.GetValueOrDefault("GATEWAY_KEY"));
        HttpRequestMessage message;
        var dryRun = false;
        if (command == "export")
        {
            var format = arguments.Option("format") ?? "yaml";
            if (format is not ("yaml" or "json"))
            {
                throw new CliUsageException("--format is yaml or json.");
            }

            var query = $"?format={format}" + (arguments.Option("org") is { } org ? "&org=" + Uri.EscapeDataString(org) : "") + (arguments.Flag("keys") ? "&includeKeys=true" : "");
            RequireAllRead(arguments, 0, "export [--org ORG] [--format yaml|json] [--keys]");
            message = new HttpRequestMessage(HttpMethod.Get, Target(url, "/directory" + query));
        }
        else
        {
            var file = arguments.At(0);
            dryRun = arguments.Flag("dry-run");
            var plan = arguments.Option("plan");
            if (dryRun && plan is not null)
            {
                throw new CliUsageException("--plan takes the fingerprint a dry run printed, to apply exactly that plan: not with --dry-run.");
            }

            RequireAllRead(arguments, 1, "apply FILE [--dry-run | --plan FINGERPRINT]");
            string text;
            try
            {
                text = file == "-" ? await Console.In.ReadToEndAsync() : await File.ReadAllTextAsync(file);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new CliUsageException($"The document '{file}' cannot be read ({ex.GetType().Name}).");
            }

            var json = file.EndsWith(".json", StringComparison.OrdinalIgnoreCase);
            message = new HttpRequestMessage(HttpMethod.Post, Target(url, "/directory/apply" + (dryRun ? "?dryRun=true" : plan is not null ? "?plan=" + Uri.EscapeDataString(plan) : "")))
            {
                Content = new StringContent(text, Encoding.UTF8, json ? DirectoryFormat.JsonMediaType : DirectoryFormat.YamlMediaType),
            };
        }

        using var http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        http.Timeout = TimeSpan.FromSeconds(100);
        message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(message);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            await errors.WriteLineAsync($"error: the admin API at {url} cannot be reached ({ex.GetType().Name}: {ex.Message})");
            return AdminCli.ExitCodes.Unavailable;
        }
        finally
        {
            message.Dispose();
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            var status = (int)response.StatusCode;
            if (!response.IsSuccessStatusCode)
            {
                await errors.WriteLineAsync(AdminCli.Problem(status, body));
                return status switch
                {
                    404 or 401 or 403 => AdminCli.ExitCodes.Denied,
                    409 => AdminCli.ExitCodes.Conflict,
                    >= 500 or 429 => AdminCli.ExitCodes.Unavailable,
                    _ => AdminCli.ExitCodes.Invalid,
                };
            }

            if (command == "export")
            {
                await output.WriteAsync(body);
                return AdminCli.ExitCodes.Ok;
            }

            return await ReportAsync(body, dryRun, output, errors);
        }
    }

    // The plan as diff lines; refusals on stderr. Exit: refusals 4 or 5, changes planned 2, nothing to do or applied 0.
    private static async Task<int> ReportAsync(string body, bool dryRun, TextWriter output, TextWriter errors)
    {
        var result = JsonSerializer.Deserialize<DirectoryApplyView>(body, Admin.AdminJson.Options)!;
        foreach (var change in result.Changes)
        {
            await output.WriteLineAsync(change);
        }

        foreach (var refusal in result.Refusals)
        {
            await errors.WriteLineAsync($"refused: {refusal.Change}\n  {refusal.Status} {refusal.Code}: {refusal.Detail}");
        }

        if (result.Refusals.Count > 0)
        {
            await errors.WriteLineAsync($"{result.Refusals.Count} of {result.Changes.Count} changes would be refused: apply would change nothing.");
            // As the applying request answers them: any denial 4, else any conflict 5, else (field errors only) 6.
            return result.Refusals.Any(r => r.Status is 401 or 403 or 404) ? AdminCli.ExitCodes.Denied
                : result.Refusals.Any(r => r.Status != 400) ? AdminCli.ExitCodes.Conflict
                : AdminCli.ExitCodes.Invalid;
        }

        if (result.Changes.Count == 0)
        {
            await output.WriteLineAsync("No changes: the directory matches the document.");
            return AdminCli.ExitCodes.Ok;
        }

        await output.WriteLineAsync(dryRun
            ? $"{result.Changes.Count} changes planned (dry run: nothing applied). Plan {result.Plan}: apply it with --plan {result.Plan}, which refuses if the directory has changed since."
            : $"{result.Changes.Count} changes applied in one transaction (audit change set {result.ChangeSet}).");
        return dryRun ? Changes : AdminCli.ExitCodes.Ok;
    }

    private static void RequireAllRead(CliArguments arguments, int positional, string usage)
    {
        if (arguments.PositionalCount > positional)
        {
            throw new CliUsageException($"Too many arguments. Usage: gateway directory {usage}");
        }

        if (arguments.Unread.FirstOrDefault() is { } unread)
        {
            throw new CliUsageException($"No option --{unread}. Usage: gateway directory {usage}");
        }
    }

    private static Uri Target(string url, string path)
        => Uri.TryCreate(url.TrimEnd('/') + "/admin/v1" + path, UriKind.Absolute, out var target) && target.Scheme is "http" or "https"
            ? target
            : throw new CliUsageException($"'{url}' is not an http(s) URL of the admin listener.");

    private static async Task<int> UsageAsync(TextWriter errors, string? problem)
    {
        if (problem is not null)
        {
            await errors.WriteLineAsync("error: " + problem + ".");
        }

        await errors.WriteLineAsync("""
            usage: gateway directory export [--org ORG] [--format yaml|json] [--keys] [--url URL] [--key-file PATH]
                   gateway directory apply FILE|- [--dry-run | --plan FINGERPRINT] [--url URL] [--key-file PATH]
            key: GATEWAY_KEY or GATEWAY_KEY_FILE or --key-file (never on the command line); url: --url or GATEWAY_URL (http://127.0.0.1:5081)
            export writes the organization's directory as the key sees it (schema: GET /admin/v1/directory/schema, docs/directory.schema.json).
            exit codes: 0 applied or nothing to change, 2 changes planned (--dry-run), 4 refused or denied, 5 conflict, 6 invalid document, 7 unavailable, 64 usage
            """);
        return Usage;
    }
}
