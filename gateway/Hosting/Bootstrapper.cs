using Gateway.Configuration;
using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.Keys;
using Gateway.Policy.Model;
using Gateway.Store;
using Microsoft.Extensions.Logging;

namespace Gateway.Hosting;

/// <summary>
/// First start on an empty store: creates the configured organization and its org-admin user, and
/// writes that admin's key to a 0600 file beside the database. Logs the file's path, never the key.
/// Later starts do nothing.
/// </summary>
internal static partial class Bootstrapper
{
    public const string KeyFileName = "bootstrap-admin.key";

    public static void Run(DirectoryService directory, GatewayOptions options, ApiKeyFormat format, TimeProvider time, string databasePath, ILogger logger)
    {
        var bootstrap = options.Bootstrap;
        if (!directory.Current.Organizations.IsEmpty)
        {
            GrantFirstOperator(directory, bootstrap, time, logger);
            return;
        }

        if (bootstrap.Organization is null || bootstrap.AdminUser is null)
        {
            Log.Skipped(logger);
            return;
        }

        var now = time.UtcNowMillis();
        var (keyId, key) = format.Mint(ApiKeyFormatKind.Standard);
        var keyFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(databasePath))!, KeyFileName);
        // The key file is written before the commit: a crash in between re-runs the bootstrap on an
        // empty store and overwrites the file, whereas the other order could leave no admin key at all.
        WriteKeyFile(keyFile, key);

        var org = new Organization { Name = bootstrap.Organization, CreatedAt = now };
        var admin = new User
        {
            Id = Admin.AdminIds.NewUserId(), Username = bootstrap.AdminUser, Org = org.Name, OrgRole = OrgRole.Admin,
            Email = bootstrap.AdminEmail ?? bootstrap.AdminUser + "@localhost", CreatedAt = now, Operator = true,
        };
        var apiKey = new ApiKey
        {
            KeyId = keyId, Hash = KeyHash.Of(key).ToArray(), OwnerId = admin.Id, Name = "bootstrap", Format = ApiKeyFormatKind.Standard, CreatedAt = now,
        };
        // Replicas starting together on one empty database race here: one commits, the others find
        // the organization on their re-plan and drop the key file they wrote for nothing.
        var bootstrapped = directory.Write(snapshot => snapshot.Organizations.IsEmpty
            ? (new ChangeSet().Put(org).Put(admin).Put(apiKey).Record(new AuditEvent
            {
                At = now, Org = org.Name, Action = "org.bootstrap", Actor = "bootstrap", Target = org.Name, Detail = $"admin={admin.Username} keyId={keyId}",
            }), true)
            : (new ChangeSet(), false));
        if (!bootstrapped)
        {
            File.Delete(keyFile);
            return;
        }

        Log.Bootstrapped(logger, org.Name, admin.Username, keyFile);
    }

    /// <summary>
    /// A store from before the operator role has none: the configured bootstrap admin (who made the
    /// store) becomes the operator, once. A store with an operator is left alone.
    /// </summary>
    private static void GrantFirstOperator(DirectoryService directory, BootstrapOptions bootstrap, TimeProvider time, ILogger logger)
    {
        if (directory.Current.UsersById.Values.Any(u => u.Operator) || bootstrap.AdminUser is null)
        {
            return;
        }

        var granted = directory.Write(d =>
        {
            if (d.UsersById.Values.Any(u => u.Operator) || !d.TryGetUser(bootstrap.AdminUser, out var admin) || admin.Org != bootstrap.Organization)
            {
                return (new ChangeSet(), (User?)null);
            }

            var now = time.UtcNowMillis();
            return (new ChangeSet().Put(admin with { Operator = true }).Record(new AuditEvent
            {
                At = now, Org = admin.Org, Action = "operator.grant", Actor = "bootstrap", Target = admin.Username, Detail = "the bootstrap admin of a store without an operator",
            }), admin);
        });
        if (granted is not null)
        {
            Log.OperatorGranted(logger, granted.Username);
        }
    }

    private static void WriteKeyFile(string path, string key)
    {
        var temp = path + ".tmp";
        var fileOptions = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temp, fileOptions))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(key);
            writer.Write('\n');
            writer.Flush();
            stream.Flush(true);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temp, path, overwrite: true);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.Bootstrapped, EventName = "Bootstrapped", Level = LogLevel.Warning,
            Message = "Bootstrapped organization '{Org}' with org admin '{Admin}'. The admin's API key is in {KeyFile} (mode 0600): read it, store it safely, delete the file.")]
        public static partial void Bootstrapped(ILogger logger, string org, string admin, string keyFile);

        [LoggerMessage(EventId = EventIds.BootstrapSkipped, EventName = "BootstrapSkipped", Level = LogLevel.Warning,
            Message = "The store is empty and Gateway:Bootstrap names no organization: nobody can administer this gateway until one is configured.")]
        public static partial void Skipped(ILogger logger);

        [LoggerMessage(EventId = EventIds.OperatorGranted, EventName = "OperatorGranted", Level = LogLevel.Information,
            Message = "The store had no gateway operator: the bootstrap admin '{Admin}' now holds the role.")]
        public static partial void OperatorGranted(ILogger logger, string admin);
    }
}
