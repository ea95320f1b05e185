using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Gateway.Store;

/// <summary>
/// The store, its lock, its log and the bootstrap key hold key hashes, audit trails and a live admin
/// key: they are 0600 in a 0700 directory. The process runs with umask 077 (LiteDB creates and
/// recreates its <c>-log.db</c> itself, so only the umask reaches it), the directory and lock file are
/// created private explicitly, and existing files or directories with wider modes are reported at
/// startup (a warning, not a refusal: an operator may have widened them on purpose, e.g. for backups).
/// </summary>
internal static partial class PrivateFiles
{
    public const UnixFileMode File = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    public const UnixFileMode Directory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode Shared = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Files and directories this process creates from now on are private to its user.</summary>
    public static void RestrictProcess()
    {
        if (!OperatingSystem.IsWindows())
        {
            _ = umask(0b000_111_111); // 077
        }
    }

    /// <summary>Creates <paramref name="path"/> (and its parents) as 0700 when missing.</summary>
    public static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(path);
        }
        else
        {
            System.IO.Directory.CreateDirectory(path, Directory);
        }
    }

    /// <summary>Each existing path of <paramref name="paths"/> whose mode gives its group or others any access, with the mode.</summary>
    public static IEnumerable<(string Path, UnixFileMode Mode)> Wider(params string[] paths)
    {
        if (OperatingSystem.IsWindows())
        {
            yield break;
        }

        foreach (var path in paths)
        {
            if (System.IO.File.Exists(path) || System.IO.Directory.Exists(path))
            {
                var mode = System.IO.File.GetUnixFileMode(path);
                if ((mode & Shared) != 0)
                {
                    yield return (path, mode);
                }
            }
        }
    }

    /// <summary>Logs a warning for each store file, lock, log, bootstrap key or directory readable beyond its owner.</summary>
    public static void Report(string databasePath, string bootstrapKeyPath, ILogger logger)
    {
        var directory = Path.GetDirectoryName(databasePath) ?? ".";
        var log = Path.Combine(directory, Path.GetFileNameWithoutExtension(databasePath) + "-log" + Path.GetExtension(databasePath));
        foreach (var (path, mode) in Wider(directory, databasePath, databasePath + ".lock", log, bootstrapKeyPath))
        {
            Log.TooOpen(logger, path, Convert.ToString((int)mode, 8), System.IO.Directory.Exists(path) ? "0700" : "0600");
        }
    }

    [DllImport("libc", SetLastError = false)]
    private static extern uint umask(uint mask);

    private static partial class Log
    {
        [LoggerMessage(EventId = Diagnostics.EventIds.StoreFileTooOpen, EventName = "StoreFileTooOpen", Level = LogLevel.Warning,
            Message = "{Path} has mode {Mode}: other users may read key hashes, audit events or the bootstrap key. Run chmod {Expected} on it.")]
        public static partial void TooOpen(ILogger logger, string path, string mode, string expected);
    }
}
