using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using Gateway.Authorization;
using Gateway.Configuration;
using Gateway.Policy.Model;

namespace Gateway.Transforms;

/// <summary>
/// Signs <c>X-Gateway-Identity</c>: an ES256 JWT carrying the same facts as the identity headers,
/// with the cluster id as audience and a short lifetime, so an upstream that cannot trust its network
/// can verify them against <c>/.well-known/jwks.json</c>. The key lives in memory and is new on every
/// start (tokens live a minute; upstreams refetch the JWKS on an unknown <c>kid</c>).
/// </summary>
internal sealed class IdentityTokenSigner : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly IdentityOptions _options;
    private readonly TimeProvider _time;
    private readonly byte[] _header;

    public IdentityTokenSigner(GatewayOptions options, TimeProvider time)
    {
        _options = options.Identity;
        _time = time;
        var parameters = _key.ExportParameters(includePrivateParameters: false);
        X = Base64Url.EncodeToString(parameters.Q.X);
        Y = Base64Url.EncodeToString(parameters.Q.Y);
        KeyId = Base64Url.EncodeToString(SHA256.HashData([.. parameters.Q.X!, .. parameters.Q.Y!]))[..16];
        _header = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string> { ["alg"] = "ES256", ["typ"] = "JWT", ["kid"] = KeyId });
    }

    public string KeyId { get; }

    public string X { get; }

    public string Y { get; }

    /// <summary>The public key set, as served at /.well-known/jwks.json.</summary>
    public object Jwks => new { keys = new[] { new { kty = "EC", crv = "P-256", x = X, y = Y, kid = KeyId, use = "sig", alg = "ES256" } } };

    public string Sign(GatewayFeature feature, string audience)
    {
        var now = _time.GetUtcNow().ToUnixTimeSeconds();
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("iss", _options.Issuer);
            writer.WriteString("aud", audience);
            writer.WriteNumber("iat", now);
            writer.WriteNumber("nbf", now);
            writer.WriteNumber("exp", now + (long)_options.Lifetime.TotalSeconds);
            writer.WriteString("auth_method", feature.AuthMethod);
            if (feature.Principal is { } principal)
            {
                writer.WriteString("sub", principal.DisplayName);
                writer.WriteString("principal_type", principal is User ? "user" : "service_account");
                writer.WriteString("org", principal.Org);
            }

            WriteOptional(writer, "entity", feature.Entity);
            WriteOptional(writer, "project", feature.Project);
            WriteOptional(writer, "key_id", feature.KeyId);
            WriteOptional(writer, "attributed_user", feature.AttributedUser?.Username);
            writer.WriteEndObject();
        }

        var signingInput = Base64Url.EncodeToString(_header) + "." + Base64Url.EncodeToString(buffer.WrittenSpan);
        var signature = _key.SignData(System.Text.Encoding.ASCII.GetBytes(signingInput), HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
        return signingInput + "." + Base64Url.EncodeToString(signature);
    }

    public void Dispose() => _key.Dispose();

    private static void WriteOptional(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteString(name, value);
        }
    }
}
