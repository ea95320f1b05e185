using Gateway.Policy.Model;

namespace Gateway.Keys;

/// <summary>
/// Access tokens from the token exchange: the standard key layout under the key prefix plus
/// <c>at</c> (<c>gwat_{id:12}_{secret:30}{checksum:6}</c>, about 178 bits of secret), so they pass
/// the same checksum-before-lookup and hash-only storage as keys and are told apart without a lookup.
/// </summary>
internal sealed class AccessTokenFormat(string keyPrefix)
{
    private readonly ApiKeyFormat _format = new(keyPrefix + "at");

    public string Prefix => _format.Prefix;

    public bool IsAccessToken(ReadOnlySpan<char> credential, out ReadOnlySpan<char> tokenId)
    {
        tokenId = default;
        return credential.Length == _format.StandardLength && _format.Classify(credential, out tokenId) == KeyShape.Standard;
    }

    public (string TokenId, string Token) Mint() => _format.Mint(ApiKeyFormatKind.Standard);
}
