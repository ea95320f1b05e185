using Gateway.Hosting;

// Everything the gateway creates (store, its log, lock, bootstrap key, directories) is private to its user.
Gateway.Store.PrivateFiles.RestrictProcess();
if (Gateway.Cli.AdminCli.Matches(args))
{
    var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string?)e.Value);
    return await Gateway.Cli.AdminCli.RunAsync(args, environment, Console.Out, Console.Error);
}

if (Gateway.DirectoryAsCode.DirectoryCli.Matches(args))
{
    var environment = Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (string?)e.Value);
    return await Gateway.DirectoryAsCode.DirectoryCli.RunAsync(args, environment, Console.Out, Console.Error);
}

if (Gateway.Cli.HealthCommand.Matches(args))
{
    return await Gateway.Cli.HealthCommand.RunAsync(args, Console.Out, Console.Error);
}

if (Gateway.Cli.ConfigCheckCommand.Matches(args))
{
    return Gateway.Cli.ConfigCheckCommand.Run(args, Console.Out, Console.Error);
}

if (StoreCopyCommand.Matches(args))
{
    return StoreCopyCommand.Run(args, Console.Out, Console.Error);
}

try
{
    using var app = GatewayApp.Build(args);
    await app.RunAsync();
    return 0;
}
catch (GatewayStartupException ex)
{
    await Console.Error.WriteLineAsync(ex.Message);
    return 1;
}
