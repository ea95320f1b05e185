namespace Gateway.Store;

/// <summary>
/// A commit planned on directory version <see cref="Expected"/> found another: another replica wrote
/// first. Nothing was written; the writer reloads and plans again.
/// </summary>
internal sealed class DirectoryConflictException(long expected, long actual)
    : Exception($"The directory is at version {actual}, not {expected}: another writer committed first.")
{
    public long Expected { get; } = expected;

    public long Actual { get; } = actual;
}
