using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Gateway.Admin;
using Gateway.Authentication;
using Gateway.Authorization;
using Gateway.Routing;
using Gateway.Transforms;
using Gateway.Configuration;
using Gateway.Directory;
using Gateway.Federation;
using Gateway.Policy.Model;
using Gateway.Keys;
using Gateway.Store;
using Gateway.Store.Postgres;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Configuration.ClusterValidators;
using Yarp.ReverseProxy.Configuration.RouteValidators;

namespace Gateway.Hosting;

/// <summary>Composition of the gateway: configuration, store, services, listeners, endpoints.</summary>
internal static class GatewayApp
{
    // One answer for a path no route takes, whether a client sent it or another proxy asked about it.
    private const string NoRoute = "No route of this gateway matches this method and path.";

    /// <summary>Builds the application; throws <see cref="GatewayStartupException"/> listing every problem.</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null, bool checkOnly = false)
    {
        var configPath = GatewayConfiguration.ResolvePath(args, out var pathError);
        if (pathError is not null)
        {
            throw new GatewayStartupException([pathError]);
        }

        // Bare LF line endings are one request to Kestrel and maybe another to whatever sits behind:
        // CRLF only (RFC 9112 allows refusing them; Kestrel accepts them by default).
        AppContext.SetSwitch("Microsoft.AspNetCore.Server.Kestrel.DisableHttp1LineFeedTerminators", true);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args });
        var reloads = new ConfigReloadMonitor();
        try
        {
            GatewayConfiguration.Add(builder.Configuration, configPath, args, reloads.OnLoadException);
        }
        catch (InvalidDataException ex)
        {
            // Not JSON: one line naming the file and the place, not a stack trace.
            throw new GatewayStartupException([$"{configPath}: {GatewayConfiguration.LoadError(ex)}"]);
        }
        builder.Services.AddSingleton(reloads);
        // Logging:Console:FormatterName=json gives one JSON object per line (event id, category, state).
        builder.Logging.AddConfiguration(builder.Configuration.GetSection("Logging"));
        builder.Logging.AddConsole();
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(builder.Configuration.GetSection("Logging:Console"));
        // Every line carries its time (UTC, ISO 8601) unless Logging:Console:FormatterOptions:TimestampFormat says otherwise.
        builder.Services.PostConfigure<Microsoft.Extensions.Logging.Console.SimpleConsoleFormatterOptions>(LogTimestamps.Apply);
        builder.Services.PostConfigure<Microsoft.Extensions.Logging.Console.JsonConsoleFormatterOptions>(LogTimestamps.Apply);
        // Hosting and YARP log full URLs, query strings included, at Information: a key sent in a query
        // string would reach the log before any middleware could refuse it. Hosting's category is off
        // entirely (above Information it logs only startup failures, which surface as exceptions anyway):
        // while it is enabled at any level, ASP.NET Core starts an Activity for every request for log
        // correlation, and HttpClient then writes that Activity's traceparent into every forwarded
        // request: about 2 KB allocated per request (measured under load, 6.7 → 4.7 KB) for ids nothing
        // reads. The gateway's own spans (GatewayTracing) do not depend on it; without them the client's
        // traceparent passes through unchanged, as through plain YARP without an Activity.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Routing", LogLevel.Warning);
        builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        // Kestrel's bad-request logs quote the request line, query string included.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel", LogLevel.Warning);
        // YARP registers data protection for session affinity cookies, which the gateway does not use.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        // The console's OpenID Connect handler logs the authorization URL (state, nonce) at Debug; the gateway says what happened itself.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Authentication", LogLevel.Warning);
        configure?.Invoke(builder);

        var options = builder.Configuration.GetSection(GatewayOptions.Section).Get<GatewayOptions>() ?? new GatewayOptions();
        var errors = GatewayOptionsValidator.Validate(options, out var configuredIssuers);
        if (StoreSettings.InlinePasswordError(builder.Configuration) is { } inline)
        {
            errors = [.. errors, inline];
        }

        errors = [.. errors, .. OperatorConsole.Oidc.ConsoleOidcOptionsValidator.InlineSecretErrors(builder.Configuration)];

        if (errors.Count > 0)
        {
            throw new GatewayStartupException(errors);
        }

        var listeners = new GatewayListeners();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            listeners.Bind(kestrel, options);
            KestrelLimits.Apply(kestrel.Limits, options.Limits);
        });
        builder.Services.AddGatewayCore(options, listeners);
        builder.Services.AddGatewayFederation(options, configuredIssuers);
        builder.Services.AddRouting();
        builder.Services.AddGatewayProxy(builder.Configuration, options);
        if (options.Console.Enabled)
        {
            OperatorConsole.ConsoleEndpoints.AddGatewayConsole(builder.Services, options);
        }
        if (options.Tracing.OtlpEndpoint is { } otlp)
        {
            builder.Services.AddOpenTelemetry()
                .ConfigureResource(resource => resource.AddService("ml-auth-gateway"))
                .WithTracing(tracing => tracing.AddSource(Diagnostics.GatewayTracing.SourceName).AddOtlpExporter(exporter =>
                {
                    exporter.Endpoint = new Uri(otlp);
                    exporter.Protocol = OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf;
                    exporter.BatchExportProcessorOptions.ScheduledDelayMilliseconds = 1000;
                }));
        }

        var app = builder.Build();
        listeners.SetLogger(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.Tls"));
        // Which port is which, once bound (port 0 in the configuration picks a free one).
        var hostLogger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.Hosting");
        app.Lifetime.ApplicationStarted.Register(() => HostingLog.Listening(hostLogger, string.Join(",", listeners.ProxyPorts), string.Join(",", listeners.AdminPorts)));
        var proxyErrors = new List<string>();
        // Routes and clusters are checked by the validators the prevalidator runs; the section's own keys here,
        // for a configuration that has neither.
        ProxyConfigKeys.ValidateSection(app.Configuration.GetSection("ReverseProxy"), proxyErrors);
        proxyErrors.AddRange(ProxyConfigPrevalidator.ValidateAsync(
            app.Services.GetRequiredService<IProxyConfigProvider>(), app.Services.GetRequiredService<IConfigValidator>()).GetAwaiter().GetResult());
        if (proxyErrors.Count > 0)
        {
            throw new GatewayStartupException(proxyErrors);
        }

        if (checkOnly)
        {
            return app;
        }

        OpenStore(app, options, configuredIssuers);
        app.Services.GetRequiredService<ConfiguredIssuerReload>().Start();
        reloads.Start(app);
        // Razor Pages register ASP.NET's authentication services, and WebApplication then puts its
        // authentication middleware in front of every endpoint, the proxy's included: a DI scope, a
        // handler provider and a state machine per proxied request (about 7 % of the bytes the gateway
        // allocated under load) for schemes nobody configured. Nothing here uses HttpContext.User: the
        // proxy, the admin API and the console authenticate with the gateway's own credentials. This
        // is the key WebApplication checks before adding it (as UseAuthentication sets it).
        ((IApplicationBuilder)app).Properties["__AuthenticationMiddlewareSet"] = true;
        app.UseTrustedProxies(options, listeners);
        if (options.AuthorizerEnabled)
        {
            ForwardAuth.AuthorizerCallers.UseAuthorizerGate(app, listeners);
        }

        // Explain runs its requests through the rest of the pipeline: the proxy's own routing and decision.
        app.Use(next => app.Services.GetRequiredService<Explain.ProxyPipeline>().Next = next);
        app.UseMiddleware<RawPathMiddleware>();
        app.UseRouting();
        // Explain's requests and those an external proxy asks about decide and end on proxy routes only: no
        // other endpoint (token exchange, health, admin) runs for them. One feature lookup per request.
        app.Use((context, next) => context.Features.Get<ForwardAuth.InProcessRequest.Marker>() is not null && context.GetEndpoint()?.Metadata.GetMetadata<RouteScope>() is null
            ? Diagnostics.GatewayProblem.WriteAsync(context.Response, StatusCodes.Status404NotFound, Diagnostics.ProblemCodes.RouteNotFound, NoRoute)
            : next(context));
        app.MapGatewayHealth();
        app.MapGatewayAdmin();
        if (options.Console.Enabled)
        {
            OperatorConsole.ConsoleEndpoints.MapGatewayConsole(app);
        }

        TokenExchangeEndpoint.Map(app);
        if (options.AuthorizerEnabled)
        {
            app.MapGrpcService<ForwardAuth.ExtAuthzService>().WithMetadata(ListenerMetadata.Authorizer);
            ForwardAuth.VerifyEndpoint.Map(app);
        }

        app.MapGatewayProxy();
        // Whatever nothing else matches, on either listener: a problem with a code, not an empty 404.
        app.MapFallback("{**path}", (HttpContext context) => Diagnostics.GatewayProblem.WriteAsync(context.Response, StatusCodes.Status404NotFound,
            Diagnostics.ProblemCodes.RouteNotFound, NoRoute)).WithMetadata(ListenerMetadata.Any);
        return app;
    }

    private static void AddGatewayCore(this IServiceCollection services, GatewayOptions options, GatewayListeners listeners)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<Metrics.GatewayMetrics>();
        services.AddSingleton(options);
        services.AddSingleton(listeners);
        services.AddSingleton<MatcherPolicy, ListenerMatcherPolicy>();
        services.AddSingleton(new ApiKeyFormat(options.Keys.Prefix));
        services.AddSingleton(new ApiKeyCache(options.Cache.Keys, options.Cache.NegativeKeys));
        services.AddSingleton<StoreHolder>();
        services.AddSingleton<StoreFreshness>();
        if (options.Store.IsPostgres)
        {
            services.AddHostedService<Store.Postgres.DirectorySync>();
        }

        services.AddSingleton<IGatewayStore>(sp => sp.GetRequiredService<StoreHolder>().Store);
        services.AddSingleton(sp => sp.GetRequiredService<StoreHolder>().Directory);
        services.AddSingleton<LastUsedTracker>();
        services.AddSingleton(options.Limits);
        services.AddSingleton(new RateLimiting.RequestRateLimiter(options.RateLimits));
        services.AddSingleton<Explain.RefusalRing>();
        services.AddSingleton<Usage.UsageCounters>();
        services.AddSingleton(sp => new RateLimiting.DailyQuotas(options.RateLimits, sp.GetRequiredService<Usage.UsageCounters>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<Explain.ProxyPipeline>();
        services.AddSingleton<Explain.DecisionExplainer>();
        services.AddSingleton<ForwardAuth.ForwardAuthDecider>();
        services.AddSingleton<ForwardAuth.AuthorizerCallers>();
        if (options.AuthorizerEnabled)
        {
            // A CheckRequest carries the body Envoy buffered (with_request_body): room for the largest body cap.
            services.AddGrpc(grpc => grpc.MaxReceiveMessageSize = ForwardAuth.AuthorizerCallers.MaxCheckBytes);
        }
        services.AddSingleton<Abuse.FailedAuthenticationLimiter>();
        services.AddSingleton<Abuse.AuthenticationFailureAudit>();
        services.AddSingleton<ApiKeyAuthenticator>();
        services.AddSingleton<CredentialAuthenticator>();
        services.AddSingleton<KeyMinting>();
        services.AddSingleton<ProbeGuard>();
        services.AddHostedService<LastUsedFlushService>();
    }

    private static void AddGatewayFederation(this IServiceCollection services, GatewayOptions options, IReadOnlyList<TrustedIssuer> configuredIssuers)
    {
        services.AddSingleton(options.Federation);
        services.AddSingleton(new AccessTokenFormat(options.Keys.Prefix));
        services.AddSingleton<IssuerDocumentClient>();
        services.AddSingleton<IssuerKeyRegistry>();
        services.AddSingleton<FederatedTokenValidator>();
        services.AddSingleton<AccessTokenMinting>();
        services.AddSingleton<TokenExchangeEndpoint>();
        services.AddSingleton<ConfiguredIssuerReload>();
        services.AddHostedService<IssuerKeyRefreshService>();
        services.AddHostedService<AccessTokenPurgeService>();
    }

    private static void AddGatewayProxy(this IServiceCollection services, IConfiguration configuration, GatewayOptions options)
    {
        services.AddSingleton<IdentityHeaderNames>();
        services.AddSingleton<GraphQL.IdResolver>();
        if (options.Identity.Sign)
        {
            services.AddSingleton<IdentityTokenSigner>();
        }

        services.AddSingleton<IRouteValidator, RouteScopeValidator>();
        services.AddSingleton<IRouteValidator, RouteShapeValidator>();
        services.AddSingleton<IClusterValidator, ClusterShapeValidator>();
        services.AddSingleton<IClusterValidator, UpstreamCredentialValidator>();
        services.AddReverseProxy()
            .LoadFromConfig(configuration.GetSection("ReverseProxy"))
            .AddTransforms<IdentityTransformProvider>();
        services.AddSingleton<Yarp.ReverseProxy.Forwarder.IForwarderHttpClientFactory, GatewayForwarderHttpClientFactory>();
    }

    private static void MapGatewayProxy(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapReverseProxy(proxy =>
        {
            // A pipeline delegate replaces YARP's default stages: the gateway's first, then YARP's back.
            proxy.UseMiddleware<GatewayAuthorizationMiddleware>();
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();
        }).ConfigureEndpoints((endpoint, route, cluster) =>
        {
            // Parsed once per configuration load; validation already refused anything that fails here.
            var errors = new List<string>();
            var scope = RouteScopeParser.Parse(route, errors);
            var upstream = cluster is null ? UpstreamCredential.Strip : UpstreamCredential.Parse(cluster, errors);
            endpoint.WithMetadata(ListenerMetadata.Proxy, upstream);
            if (scope is not null && errors.Count == 0)
            {
                endpoint.WithMetadata(scope);
            }
        });
    }

    // The store is opened before the server listens: a locked, corrupt or unreadable store refuses startup.
    private static void OpenStore(WebApplication app, GatewayOptions options, IReadOnlyList<TrustedIssuer> configuredIssuers)
    {
        var holder = app.Services.GetRequiredService<StoreHolder>();
        IGatewayStore? store = null;
        var storeLogger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.Store");
        try
        {
            if (options.Store.IsPostgres)
            {
                var connectionString = StoreSettings.ConnectionString(options.Store, out var error) ?? throw new GatewayStartupException([error!]);
                // The bootstrap key file still goes beside Gateway:Store:Path, on the replica that bootstraps.
                PrivateFiles.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.Store.Path))!);
                var postgres = new PostgresGatewayStore(connectionString, app.Services.GetRequiredService<TimeProvider>());
                store = postgres;
                app.Services.GetRequiredService<StoreFreshness>().Track(options.Store.MaxStaleness);
                StoreLog.Opened(storeLogger, "postgres", postgres.Description);
            }
            else
            {
                store = new LiteDbGatewayStore(options.Store.Path);
            }

            var data = store.LoadDirectory();
            var conflicts = configuredIssuers.Where(c => data.Issuers.Any(s => s.Url == c.Url))
                .Select(c => $"Gateway:Federation:Issuers: issuer '{c.Url}' is also registered through the admin API; delete it there or remove it from gateway.json.")
                .ToList();
            if (conflicts.Count > 0)
            {
                throw new GatewayStartupException(conflicts);
            }

            var directory = new DirectoryService(store, app.Services.GetRequiredService<ApiKeyCache>(), data, configuredIssuers);
            holder.Set(store, directory);
            Bootstrapper.Run(directory, options, app.Services.GetRequiredService<ApiKeyFormat>(), app.Services.GetRequiredService<TimeProvider>(),
                options.Store.Path, app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Gateway.Bootstrap"));
            if (store is LiteDbGatewayStore lite)
            {
                PrivateFiles.Report(lite.Path, Path.Combine(Path.GetDirectoryName(lite.Path)!, Bootstrapper.KeyFileName), storeLogger);
            }
            var orphans = configuredIssuers.Where(c => !directory.Current.Organizations.ContainsKey(c.Org))
                .Select(c => $"Gateway:Federation:Issuers: issuer '{c.Url}' names organization '{c.Org}', which does not exist.")
                .ToList();
            if (orphans.Count > 0)
            {
                throw new GatewayStartupException(orphans);
            }
        }
        catch (GatewayStartupException)
        {
            store?.Dispose();
            throw;
        }
        catch (StoreUnavailableException ex)
        {
            store?.Dispose();
            throw new GatewayStartupException([ex.Message], ex);
        }
        catch (IOException ex)
        {
            store?.Dispose();
            throw new GatewayStartupException([$"Cannot prepare the store at '{Path.GetFullPath(options.Store.Path)}': {ex.Message}"], ex);
        }
    }

    private static void MapGatewayHealth(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", () => Results.Text("ok")).WithMetadata(ListenerMetadata.Any);
        if (endpoints.ServiceProvider.GetService<IdentityTokenSigner>() is { } signer)
        {
            endpoints.MapGet("/.well-known/jwks.json", () => Results.Json(signer.Jwks)).WithMetadata(ListenerMetadata.Any);
        }

        // Prometheus text format, on the admin listener only (bound to loopback by default).
        endpoints.MapGet("/metrics", async (HttpContext http, Metrics.GatewayMetrics metrics) =>
        {
            http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
            await metrics.Registry.CollectAndExportAsTextAsync(http.Response.Body, http.RequestAborted);
        }).WithMetadata(ListenerMetadata.Admin);
        // A replica past its staleness bound refuses what it cannot prove: the load balancer should stop sending.
        endpoints.MapGet("/readyz", (IGatewayStore store, StoreFreshness freshness, ConfigReloadMonitor reloads) => store.IsReadable() && !freshness.IsStale
            ? Results.Text(reloads.Refused is { } refused ? "ready; " + refused : "ready")
            : new Diagnostics.GatewayProblem(503, Diagnostics.ProblemCodes.StoreUnavailable, "The store is not readable.")).WithMetadata(ListenerMetadata.Any);
    }

    /// <summary>Holds the store opened at startup, so DI hands out the very instance that holds the lock.</summary>
    private sealed class StoreHolder
    {
        private IGatewayStore? _store;
        private DirectoryService? _directory;

        public IGatewayStore Store => _store ?? throw new InvalidOperationException("The store is not open.");

        public DirectoryService Directory => _directory ?? throw new InvalidOperationException("The store is not open.");

        public void Set(IGatewayStore store, DirectoryService directory)
        {
            _store = store;
            _directory = directory;
        }
    }
}
