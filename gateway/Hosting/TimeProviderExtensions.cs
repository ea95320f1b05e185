namespace Gateway.Hosting;

internal static class TimeProviderExtensions
{
    /// <summary>Now, truncated to the store's millisecond precision, so a created object reads back identical.</summary>
    public static DateTimeOffset UtcNowMillis(this TimeProvider time)
        => DateTimeOffset.FromUnixTimeMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds());
}
