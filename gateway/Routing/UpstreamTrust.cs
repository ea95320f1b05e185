using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace Gateway.Routing;

/// <summary>
/// <c>"Gateway.UpstreamCaFile": "path/ca.pem"</c> on a cluster: its https destinations are verified
/// against the CA certificates of that PEM bundle only (an internal PKI), instead of the system's
/// roots. The host name is still checked; revocation is not (internal CAs rarely publish it).
/// </summary>
internal static class UpstreamTrust
{
    public const string CaFileKey = "Gateway.UpstreamCaFile";

    /// <summary>The CA certificates of <paramref name="path"/>, or why they cannot be used.</summary>
    public static X509Certificate2Collection Load(string path)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new InvalidDataException($"'{path}' cannot be read as a PEM bundle ({ex.GetType().Name}: {ex.Message}).");
        }

        return roots.Count > 0 ? roots : throw new InvalidDataException($"'{path}' holds no certificate.");
    }

    /// <summary>A configuration error for a cluster's CA file, or null.</summary>
    public static string? Check(ClusterConfig cluster)
    {
        if (cluster.Metadata?.GetValueOrDefault(CaFileKey) is not { } path)
        {
            return null;
        }

        try
        {
            Load(path);
            return null;
        }
        catch (InvalidDataException ex)
        {
            return $"Cluster '{cluster.ClusterId}' has {CaFileKey}: {ex.Message}";
        }
    }

    public static bool Validate(X509Certificate2Collection roots, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0 || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }
}

/// <summary>YARP's client factory, plus the cluster's CA bundle (a changed bundle path gets a new client).</summary>
internal sealed class GatewayForwarderHttpClientFactory(ILogger<ForwarderHttpClientFactory> logger) : ForwarderHttpClientFactory(logger)
{
    protected override bool CanReuseOldClient(ForwarderHttpClientContext context)
        => base.CanReuseOldClient(context)
           && context.OldMetadata?.GetValueOrDefault(UpstreamTrust.CaFileKey) == context.NewMetadata?.GetValueOrDefault(UpstreamTrust.CaFileKey);

    protected override void ConfigureHandler(ForwarderHttpClientContext context, SocketsHttpHandler handler)
    {
        base.ConfigureHandler(context, handler);
        if (context.NewMetadata?.GetValueOrDefault(UpstreamTrust.CaFileKey) is { } path)
        {
            var roots = UpstreamTrust.Load(path);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => UpstreamTrust.Validate(roots, certificate, errors);
        }
    }
}
