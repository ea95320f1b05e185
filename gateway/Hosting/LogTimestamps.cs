using Microsoft.Extensions.Logging.Console;

namespace Gateway.Hosting;

/// <summary>The default time stamp of console log lines: UTC, ISO 8601 with milliseconds, kept when an operator sets one.</summary>
internal static class LogTimestamps
{
    public const string Format = "yyyy-MM-ddTHH:mm:ss.fffZ ";

    public static void Apply(ConsoleFormatterOptions options)
    {
        if (options.TimestampFormat is null)
        {
            options.TimestampFormat = options is JsonConsoleFormatterOptions ? Format.TrimEnd() : Format;
            options.UseUtcTimestamp = true;
        }
    }
}
