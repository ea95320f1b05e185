using Gateway.Configuration;
using Gateway.Store;
using Gateway.Store.Postgres;
using Microsoft.Extensions.Configuration;

namespace Gateway.Hosting;

/// <summary>
/// <c>gateway store copy --from data/gateway.db [--config gateway.json]</c>: moves an embedded store into
/// the PostgreSQL database the configuration names (Gateway:Store:ConnectionString, by the environment,
/// or ConnectionStringFile). Run it with the gateway stopped (the LiteDB file's lock makes sure).
/// </summary>
internal static class StoreCopyCommand
{
    public const string Usage = "usage: gateway store copy --from <litedb file> [--config gateway.json]   (target: Gateway:Store:ConnectionString or ConnectionStringFile)";

    public static bool Matches(string[] args) => args.Length >= 2 && args[0] == "store" && args[1] == "copy";

    public static int Run(string[] args, TextWriter output, TextWriter errors)
    {
        var rest = args[2..];
        string? from = null;
        var kept = new List<string>();
        for (var i = 0; i < rest.Length; i++)
        {
            if (rest[i] == "--from" && i + 1 < rest.Length)
            {
                from = rest[++i];
            }
            else
            {
                kept.Add(rest[i]);
            }
        }

        if (from is null)
        {
            errors.WriteLine(Usage);
            return 2;
        }

        if (!File.Exists(from))
        {
            errors.WriteLine($"The LiteDB store '{Path.GetFullPath(from)}' does not exist.");
            return 1;
        }

        var configPath = GatewayConfiguration.ResolvePath([.. kept], out var pathError);
        if (pathError is not null)
        {
            errors.WriteLine(pathError);
            return 1;
        }

        var configuration = new ConfigurationManager();
        GatewayConfiguration.Add(configuration, configPath, [.. kept]);
        var store = configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>()?.Store ?? new StoreOptions();
        var problems = new List<string>();
        StoreSettings.Validate(store with { Provider = "postgres" }, problems);
        if (StoreSettings.InlinePasswordError(configuration) is { } inline)
        {
            problems.Add(inline);
        }

        if (problems.Count > 0)
        {
            foreach (var problem in problems)
            {
                errors.WriteLine(problem);
            }

            return 1;
        }

        try
        {
            using var source = new LiteDbGatewayStore(from);
            using var target = new PostgresGatewayStore(StoreSettings.ConnectionString(store, out _)!, TimeProvider.System);
            var counts = StoreCopy.Run(source, target, TimeProvider.System.GetUtcNow());
            output.WriteLine($"Copied {counts.Records} directory records, {counts.Keys} keys, {counts.AccessTokens} live access tokens, {counts.LastUsed} last-used times, {counts.Audit} audit events and {counts.LearnedIds} learned ids into {target.Description}.");
            output.WriteLine("Start the gateway with Gateway:Store:Provider=postgres; keep the LiteDB file as a backup.");
            return 0;
        }
        catch (Exception ex) when (ex is StoreUnavailableException or InvalidOperationException or IOException)
        {
            errors.WriteLine($"The copy failed: {ex.Message}");
            return 1;
        }
    }
}
