using System.Text;
using Yarp.ReverseProxy.Configuration;

namespace Gateway.Routing;

/// <summary>
/// What a cluster's upstream receives as credentials: nothing (<c>strip</c>, the default), or the
/// gateway's own Basic/Bearer secret read from an environment variable or a file — never written
/// inline in gateway.json. Clients hold gateway keys only; the gateway alone holds the upstream's.
/// </summary>
internal sealed record UpstreamCredential
{
    public const string ModeKey = "Gateway.UpstreamAuth";
    public const string EnvKey = "Gateway.UpstreamSecretEnv";
    public const string FileKey = "Gateway.UpstreamSecretFile";
    public const string UserKey = "Gateway.UpstreamUser";
    public const string AnonymousKey = "Gateway.UpstreamAuthAnonymous";

    public static readonly UpstreamCredential Strip = new();

    /// <summary>The Authorization header value to send; null to send none.</summary>
    public string? AuthorizationValue { get; init; }

    /// <summary>
    /// Anonymous routes (health checks) get the credential too. Off unless the cluster says
    /// <c>"Gateway.UpstreamAuthAnonymous": "send"</c>: a request nobody authenticated must not act
    /// upstream with the gateway's own identity.
    /// </summary>
    public bool SendToAnonymous { get; init; }

    /// <summary>A secret was configured but could not be read: requests to this cluster fail closed.</summary>
    public string? Problem { get; init; }

    /// <summary>Parses cluster metadata. Structural errors go to <paramref name="errors"/>; a missing secret is a <see cref="Problem"/>.</summary>
    public static UpstreamCredential Parse(ClusterConfig cluster, List<string> errors)
    {
        var metadata = cluster.Metadata ?? new Dictionary<string, string>();
        var id = cluster.ClusterId;
        foreach (var key in metadata.Keys.Where(k => k.StartsWith("Gateway.", StringComparison.OrdinalIgnoreCase)
                     && k is not (ModeKey or EnvKey or FileKey or UserKey or AnonymousKey or UpstreamTrust.CaFileKey)))
        {
            errors.Add(key.Contains("Secret", StringComparison.OrdinalIgnoreCase) && !key.EndsWith("Env", StringComparison.Ordinal) && !key.EndsWith("File", StringComparison.Ordinal)
                ? $"Cluster '{id}' has '{key}': upstream secrets are never written inline. Use {EnvKey} (an environment variable name) or {FileKey} (a file path)."
                : $"Cluster '{id}' has unknown metadata '{key}'. Expected one of: {ModeKey}, {EnvKey}, {FileKey}, {UserKey}, {AnonymousKey}, {UpstreamTrust.CaFileKey}.");
        }

        var mode = metadata.GetValueOrDefault(ModeKey, "strip");
        var anonymous = metadata.GetValueOrDefault(AnonymousKey, "strip");
        if (anonymous is not ("strip" or "send"))
        {
            errors.Add($"Cluster '{id}' has {AnonymousKey} '{anonymous}'. Expected one of: strip, send.");
        }

        if (mode == "strip")
        {
            if (metadata.ContainsKey(EnvKey) || metadata.ContainsKey(FileKey))
            {
                errors.Add($"Cluster '{id}' names an upstream secret but {ModeKey} is 'strip'. Set {ModeKey} to basic or bearer.");
            }

            return Strip;
        }

        if (mode is not ("basic" or "bearer"))
        {
            errors.Add($"Cluster '{id}' has {ModeKey} '{mode}'. Expected one of: strip, basic, bearer.");
            return Strip;
        }

        var env = metadata.GetValueOrDefault(EnvKey);
        var file = metadata.GetValueOrDefault(FileKey);
        if ((env is null) == (file is null))
        {
            errors.Add($"Cluster '{id}' has {ModeKey} '{mode}': name exactly one of {EnvKey} or {FileKey}.");
            return Strip;
        }

        var secret = env is not null ? Environment.GetEnvironmentVariable(env) : ReadFile(file!);
        var source = env is not null ? $"environment variable '{env}'" : $"file '{file}'";
        if (string.IsNullOrEmpty(secret))
        {
            return new UpstreamCredential { Problem = $"Cluster '{id}': the upstream secret ({source}) is not set; requests to this cluster are refused with 503." };
        }

        if (secret.Any(char.IsControl))
        {
            errors.Add($"Cluster '{id}': the upstream secret ({source}) contains control characters.");
            return Strip;
        }

        var user = metadata.GetValueOrDefault(UserKey, "api");
        var value = mode == "bearer" ? "Bearer " + secret : "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + secret));
        return new UpstreamCredential { AuthorizationValue = value, SendToAnonymous = anonymous == "send" };
    }

    private static string? ReadFile(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    // Never print the secret.
    public override string ToString() => AuthorizationValue is null ? "strip" : "credential";
}
