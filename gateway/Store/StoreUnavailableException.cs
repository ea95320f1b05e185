namespace Gateway.Store;

/// <summary>The store could not be read or written. Callers fail closed: 503, never an allow.</summary>
internal sealed class StoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
