using Gateway.Hosting;

// Everything the gateway creates (store, its log, lock, bootstrap key, directories) is private to its user.
Gateway.Store.PrivateFiles.RestrictProcess();
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
