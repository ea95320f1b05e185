using Microsoft.Extensions.Logging;

namespace Gateway.Store;

internal static partial class StoreLog
{
    [LoggerMessage(EventId = Diagnostics.EventIds.StoreOpened, EventName = "StoreOpened", Level = LogLevel.Information,
        Message = "Store: {Provider} at {Store}, schema up to date.")]
    public static partial void Opened(ILogger logger, string provider, string store);
}
