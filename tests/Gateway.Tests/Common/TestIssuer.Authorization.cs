using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace Gateway.Tests.Common;

/// <summary>The person the test issuer's authorization endpoint signs in, with no page to click through.</summary>
public sealed record TestIssuerUser(string Subject, string? Email, bool EmailVerified = true);

/// <summary>
/// The authorization code flow of the test issuer: an authorization endpoint that approves
/// <see cref="SignInAs"/> at once (redirecting back with a one-time code), and a token endpoint that
/// redeems a code only for its client, its redirect URI and the PKCE verifier whose S256 hash is the
/// challenge the authorization request carried, answering a signed ID token with the request's nonce.
/// </summary>
public sealed partial class TestIssuer
{
    private readonly ConcurrentDictionary<string, PendingCode> _codes = new(StringComparer.Ordinal);
    private int _redeemed;
    private readonly ConcurrentQueue<string> _tokenRefusals = new();

    private sealed record PendingCode(string ClientId, string RedirectUri, string? Nonce, string? Challenge, string? ChallengeMethod, TestIssuerUser User);

    /// <summary>Who the authorization endpoint signs in; null: it answers <c>access_denied</c>.</summary>
    public TestIssuerUser? SignInAs { get; set; }

    /// <summary>The client the token endpoint accepts, with its secret (null: a public client).</summary>
    public string ClientId { get; set; } = "gateway-console";

    public string? ClientSecret { get; set; }

    /// <summary>When true, the token endpoint checks the verifier against another challenge than the one it was given (a tampered exchange).</summary>
    public volatile bool TamperChallenge;

    /// <summary>The last authorization request's query, as the gateway sent it.</summary>
    public IQueryCollection? LastAuthorization { get; private set; }

    /// <summary>When set, the ID tokens of the code flow name this issuer.</summary>
    public string? IdTokenIssuer { get; set; }

    /// <summary>When set, the discovery document names this token endpoint.</summary>
    public volatile string? TokenEndpoint;

    /// <summary>The last code handed out.</summary>
    public string? LastCode { get; private set; }

    /// <summary>Codes redeemed for tokens.</summary>
    public int Redeemed => Volatile.Read(ref _redeemed);

    /// <summary>Why the token endpoint refused, in order (<c>invalid_grant: pkce</c> and the like).</summary>
    public IReadOnlyCollection<string> TokenRefusals => _tokenRefusals;

    private IResult Authorize(HttpContext http)
    {
        var q = http.Request.Query;
        LastAuthorization = q;
        var redirect = q["redirect_uri"].ToString();
        if (q["client_id"] != ClientId || !Uri.TryCreate(redirect, UriKind.Absolute, out _))
        {
            return Results.BadRequest("unknown client or redirect_uri");
        }

        var state = q["state"].ToString();
        if (q["response_type"] != "code" || SignInAs is not { } user)
        {
            return Results.Redirect(redirect + "?error=access_denied&state=" + Uri.EscapeDataString(state));
        }

        var code = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24));
        LastCode = code;
        _codes[code] = new PendingCode(ClientId, redirect, q["nonce"], q["code_challenge"], q["code_challenge_method"], user);
        return Results.Redirect(redirect + "?code=" + code + "&state=" + Uri.EscapeDataString(state));
    }

    private async Task<IResult> RedeemAsync(HttpContext http)
    {
        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        IResult Refuse(string error, string why)
        {
            _tokenRefusals.Enqueue(error + ": " + why);
            return Results.Json(new { error, error_description = why }, statusCode: 400);
        }

        if (form["grant_type"] != "authorization_code")
        {
            return Refuse("unsupported_grant_type", "grant_type");
        }

        // One use only, whatever happens next.
        if (!_codes.TryRemove(form["code"].ToString(), out var pending))
        {
            return Refuse("invalid_grant", "code");
        }

        if (form["client_id"] != pending.ClientId || (ClientSecret is not null && form["client_secret"] != ClientSecret))
        {
            return Refuse("invalid_client", "client");
        }

        if (form["redirect_uri"] != pending.RedirectUri)
        {
            return Refuse("invalid_grant", "redirect_uri");
        }

        var challenge = TamperChallenge ? pending.Challenge + "x" : pending.Challenge;
        var verifier = form["code_verifier"].ToString();
        if (pending.ChallengeMethod != "S256" || challenge is null || verifier.Length is < 43 or > 128
            || Base64Url.EncodeToString(SHA256.HashData(Encoding.ASCII.GetBytes(verifier))) != challenge)
        {
            return Refuse("invalid_grant", "pkce");
        }

        Interlocked.Increment(ref _redeemed);
        var user = pending.User;
        var idToken = Token(user.Subject, audience: pending.ClientId, edit: (_, payload) =>
        {
            if (IdTokenIssuer is { } iss)
            {
                payload["iss"] = iss;
            }

            if (pending.Nonce is { } nonce)
            {
                payload["nonce"] = nonce;
            }

            if (user.Email is { } email)
            {
                payload["email"] = email;
                payload["email_verified"] = user.EmailVerified;
            }
        });
        return Results.Json(new JsonObject
        {
            ["access_token"] = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(24)), ["token_type"] = "Bearer", ["expires_in"] = 300, ["id_token"] = idToken,
        });
    }
}
