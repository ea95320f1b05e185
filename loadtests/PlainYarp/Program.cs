// The baseline: YARP with the same routes as the gateway under test and no authentication at all.
// Configured like the gateway (slim builder, same logging levels) so that the difference is the auth layer.
var builder = WebApplication.CreateSlimBuilder(args);
if (builder.Configuration["routes"] is { } routes)
{
    builder.Configuration.AddJsonFile(routes, optional: false, reloadOnChange: false);
}

builder.Logging.ClearProviders();
builder.Logging.AddConsole();
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddReverseProxy().LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));
var app = builder.Build();
app.MapGet("/healthz", () => "ok");
app.MapReverseProxy();
app.Run();
