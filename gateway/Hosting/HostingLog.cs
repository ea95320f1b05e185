using Microsoft.Extensions.Logging;

namespace Gateway.Hosting;

internal static partial class HostingLog
{
    [LoggerMessage(EventId = Diagnostics.EventIds.ListenersBound, EventName = "ListenersBound", Level = LogLevel.Information,
        Message = "Listening: proxy port {ProxyPorts}; admin port {AdminPorts}.")]
    public static partial void Listening(ILogger logger, string proxyPorts, string adminPorts);
}
