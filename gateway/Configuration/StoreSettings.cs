using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Npgsql;

namespace Gateway.Configuration;

/// <summary>The store provider's settings: checked together, every error at once, never echoing a secret.</summary>
internal static class StoreSettings
{
    public static void Validate(StoreOptions store, List<string> errors)
    {
        if (!store.IsPostgres && !string.Equals(store.Provider, "litedb", StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"Gateway:Store:Provider is '{store.Provider}': expected litedb or postgres.");
            return;
        }

        if (!store.IsPostgres)
        {
            return;
        }

        if ((store.ConnectionString is null) == (store.ConnectionStringFile is null))
        {
            errors.Add("Gateway:Store:Provider is postgres: set exactly one of Gateway:Store:ConnectionString (e.g. by the environment variable Gateway__Store__ConnectionString) or Gateway:Store:ConnectionStringFile.");
        }
        else if (ConnectionString(store, out var error) is null)
        {
            errors.Add(error!);
        }

        if (store.MaxStaleness <= TimeSpan.Zero || store.MaxStaleness > TimeSpan.FromMinutes(10))
        {
            errors.Add($"Gateway:Store:MaxStaleness is {store.MaxStaleness}: it must be more than 0 and at most 00:10:00.");
        }

        if (store.PollInterval < TimeSpan.FromMilliseconds(100) || store.PollInterval * 2 > store.MaxStaleness)
        {
            errors.Add($"Gateway:Store:PollInterval is {store.PollInterval}: it must be at least 00:00:00.1 and at most half of Gateway:Store:MaxStaleness.");
        }
    }

    /// <summary>The connection string from the setting or its file, checked to parse; null with the reason otherwise.</summary>
    public static string? ConnectionString(StoreOptions store, out string? error)
    {
        error = null;
        string text;
        if (store.ConnectionStringFile is { } file)
        {
            try
            {
                text = File.ReadAllText(file).Trim();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                error = $"Gateway:Store:ConnectionStringFile '{file}' cannot be read ({ex.GetType().Name}).";
                return null;
            }
        }
        else
        {
            text = store.ConnectionString ?? "";
        }

        try
        {
            var builder = new NpgsqlConnectionStringBuilder(text);
            if (string.IsNullOrEmpty(builder.Host))
            {
                error = "The PostgreSQL connection string names no Host.";
                return null;
            }

            return text;
        }
        catch (ArgumentException)
        {
            // The message would quote the string, password included.
            error = "The PostgreSQL connection string cannot be parsed (Npgsql syntax: Host=db;Port=5432;Database=gateway;Username=gateway;Password=...).";
            return null;
        }
    }

    /// <summary>
    /// A password written into gateway.json itself (not the environment or a file) is refused like
    /// every other inline secret: the file is read by whoever can read the configuration.
    /// </summary>
    public static string? InlinePasswordError(IConfigurationRoot configuration)
    {
        foreach (var provider in configuration.Providers.OfType<JsonConfigurationProvider>())
        {
            if (provider.TryGet("Gateway:Store:ConnectionString", out var text) && text is not null)
            {
                try
                {
                    if (!string.IsNullOrEmpty(new NpgsqlConnectionStringBuilder(text).Password))
                    {
                        return "Gateway:Store:ConnectionString in gateway.json holds a password: secrets are never written inline. Set the connection string by the environment (Gateway__Store__ConnectionString) or in Gateway:Store:ConnectionStringFile.";
                    }
                }
                catch (ArgumentException)
                {
                    // Reported by Validate.
                }
            }
        }

        return null;
    }
}
