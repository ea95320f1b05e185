namespace Gateway.Hosting;

/// <summary>The gateway cannot start; the message lists every reason, each with its fix.</summary>
internal sealed class GatewayStartupException(IReadOnlyList<string> errors, Exception? inner = null)
    : Exception("The gateway cannot start:" + string.Concat(errors.Select(e => Environment.NewLine + "  - " + e)), inner)
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
