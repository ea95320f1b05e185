namespace Gateway.Store;

/// <summary>
/// An exclusive lock file beside the database. LiteDB does not stop a second process from opening
/// the same file on Linux, and two writers corrupt it, so the gateway takes this lock first and
/// fails fast when another process holds it.
/// </summary>
internal sealed class StoreLock : IDisposable
{
    private readonly FileStream _stream;

    private StoreLock(FileStream stream, string path)
    {
        _stream = stream;
        Path = path;
    }

    public string Path { get; }

    public static StoreLock Acquire(string databasePath)
    {
        var path = databasePath + ".lock";
        try
        {
            // FileShare.None is an exclusive advisory lock (flock) on Unix, honoured across processes.
            var options = new FileStreamOptions { Mode = FileMode.OpenOrCreate, Access = FileAccess.ReadWrite, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = PrivateFiles.File;
            }

            var stream = new FileStream(path, options);
            stream.SetLength(0);
            using (var writer = new StreamWriter(stream, leaveOpen: true))
            {
                writer.Write(Environment.ProcessId);
            }

            stream.Flush(true);
            return new StoreLock(stream, path);
        }
        catch (IOException ex)
        {
            throw new StoreUnavailableException(
                $"The store '{databasePath}' is in use by another gateway process (lock file '{path}' is held). " +
                "Only one process may open a store; stop the other one or point Gateway:Store:Path elsewhere.", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new StoreUnavailableException($"Cannot create the lock file '{path}': {ex.Message}", ex);
        }
    }

    // The file stays: deleting it after unlocking would let a third process lock a new inode at the
    // same path while a second one still holds the old, unlinked one.
    public void Dispose() => _stream.Dispose();
}
