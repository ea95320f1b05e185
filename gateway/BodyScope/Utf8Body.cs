namespace Gateway.BodyScope;

/// <summary>
/// JSON bodies must be valid UTF-8 as a whole. Found by fuzzing: System.Text.Json reads past
/// invalid bytes inside a string and throws only when the string is decoded, which surfaced as a 500.
/// Checked once, vectorized (about 0.1 ms per MiB), before either JSON extractor runs.
/// </summary>
internal static class Utf8Body
{
    public static void Check(ReadOnlySpan<byte> body)
    {
        if (!System.Text.Unicode.Utf8.IsValid(body))
        {
            throw new BodyScopeException(400, BodyScopeCodes.InvalidJson, "The body is not valid UTF-8 JSON.");
        }
    }
}
