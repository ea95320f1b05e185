using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;

namespace Gateway.Hosting;

/// <summary>
/// The certificate of a TLS listener, from PEM files, reloaded when they change: on a handshake at most
/// once a second the files' write times are compared, and a changed pair is loaded and checked
/// (parses, key matches, currently valid). A pair that fails — half-written during a rotation,
/// mismatched, expired — is logged and the previous certificate keeps serving until a good pair
/// appears, so a rotation never fails a handshake.
/// </summary>
internal sealed partial class ListenerCertificate
{
    private static readonly TimeSpan CheckEvery = TimeSpan.FromSeconds(1);
    private readonly string _path;
    private readonly string _keyPath;
    private readonly TimeProvider _time;
    private readonly object _gate = new();
    private volatile X509Certificate2 _current;
    private (DateTime Cert, DateTime Key) _stamps;
    private long _nextCheck;

    private ListenerCertificate(string path, string keyPath, TimeProvider time, X509Certificate2 certificate, (DateTime, DateTime) stamps)
    {
        _path = path;
        _keyPath = keyPath;
        _time = time;
        _current = certificate;
        _stamps = stamps;
    }

    /// <summary>Set once the host is built: reload failures are logged through it.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>Loads the pair, or returns why it cannot serve (for a startup error).</summary>
    public static ListenerCertificate Load(string path, string keyPath, TimeProvider time)
    {
        var stamps = Stamps(path, keyPath);
        return new ListenerCertificate(path, keyPath, time, Read(path, keyPath, time), stamps);
    }

    /// <summary>Null when the pair is usable; otherwise what is wrong with it, for the startup error list.</summary>
    public static string? Check(string? path, string? keyPath, string setting, TimeProvider time)
    {
        if (string.IsNullOrEmpty(path) || string.IsNullOrEmpty(keyPath))
        {
            return $"{setting}: https:// URLs need {setting}:Path and {setting}:KeyPath (PEM files).";
        }

        try
        {
            Read(path, keyPath, time).Dispose();
            return null;
        }
        catch (InvalidDataException ex)
        {
            return $"{setting}: {ex.Message}";
        }
    }

    public X509Certificate2 Current
    {
        get
        {
            var now = _time.GetTimestamp();
            if (now < Interlocked.Read(ref _nextCheck))
            {
                return _current;
            }

            lock (_gate)
            {
                if (now >= _nextCheck)
                {
                    _nextCheck = now + (long)(CheckEvery.TotalSeconds * _time.TimestampFrequency);
                    Reload();
                }
            }

            return _current;
        }
    }

    private void Reload()
    {
        (DateTime, DateTime) stamps;
        try
        {
            stamps = Stamps(_path, _keyPath);
        }
        catch (IOException)
        {
            return;
        }

        if (stamps == _stamps)
        {
            return;
        }

        try
        {
            _current = Read(_path, _keyPath, _time);
            _stamps = stamps;
            if (Logger is { } logger)
            {
                Log.Reloaded(logger, _path, _current.Subject, _current.NotAfter);
            }
        }
        catch (InvalidDataException ex)
        {
            // Half-written or wrong: keep serving the previous certificate and look again next second.
            if (Logger is { } logger)
            {
                Log.ReloadFailed(logger, _path, ex.Message);
            }
        }
    }

    private static (DateTime, DateTime) Stamps(string path, string keyPath) => (File.GetLastWriteTimeUtc(path), File.GetLastWriteTimeUtc(keyPath));

    private static X509Certificate2 Read(string path, string keyPath, TimeProvider time)
    {
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"the certificate file '{path}' does not exist.");
        }

        if (!File.Exists(keyPath))
        {
            throw new InvalidDataException($"the key file '{keyPath}' does not exist.");
        }

        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPemFile(path, keyPath);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"'{path}' and '{keyPath}' are not a readable PEM certificate and its private key ({ex.GetType().Name}: {ex.Message}).");
        }

        var now = time.GetUtcNow();
        if (!certificate.HasPrivateKey || now < certificate.NotBefore.ToUniversalTime() || now > certificate.NotAfter.ToUniversalTime())
        {
            var problem = !certificate.HasPrivateKey ? "has no private key" : now < certificate.NotBefore.ToUniversalTime()
                ? $"is not valid before {certificate.NotBefore.ToUniversalTime():u}" : $"expired at {certificate.NotAfter.ToUniversalTime():u}";
            certificate.Dispose();
            throw new InvalidDataException($"the certificate in '{path}' {problem}.");
        }

        return certificate;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = Diagnostics.EventIds.CertificateReloaded, EventName = "CertificateReloaded", Level = LogLevel.Information,
            Message = "Loaded the new certificate from {Path}: {Subject}, valid until {NotAfter:u}.")]
        public static partial void Reloaded(ILogger logger, string path, string subject, DateTime notAfter);

        [LoggerMessage(EventId = Diagnostics.EventIds.CertificateReloadFailed, EventName = "CertificateReloadFailed", Level = LogLevel.Warning,
            Message = "The certificate files changed but cannot be used yet ({Problem}); the previous certificate keeps serving. Path: {Path}.")]
        public static partial void ReloadFailed(ILogger logger, string path, string problem);
    }
}
