using Gateway.Hosting;

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
