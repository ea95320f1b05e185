using Gateway.Authorization;
using Gateway.Routing;

namespace Gateway.Transforms;

/// <summary>Where identity headers are written: the forwarded request, or the answer to an external proxy's check.</summary>
internal interface IHeaderSink
{
    void Add(string name, string value);
}

/// <summary>
/// The headers a decided request carries to the upstream, written once for the proxy's transform and for
/// the external authorizers (ext_authz, forward-auth), so the two can never send different identities.
/// </summary>
internal static class IdentityHeaders
{
    public static void Write<TSink>(ref TSink sink, GatewayFeature feature, IdentityHeaderNames names, UpstreamCredential upstream,
        string? clientAddress, string scheme, string? host, IdentityTokenSigner? signer, string audience)
        where TSink : struct, IHeaderSink
    {
        if (clientAddress is not null)
        {
            sink.Add("X-Forwarded-For", clientAddress);
        }

        sink.Add("X-Forwarded-Proto", scheme);
        if (!string.IsNullOrEmpty(host))
        {
            sink.Add("X-Forwarded-Host", host);
        }

        if (upstream.AuthorizationValue is not null && (feature.Principal is not null || feature.Shadowed || upstream.SendToAnonymous))
        {
            sink.Add("Authorization", upstream.AuthorizationValue);
        }

        if (feature.Principal is { } principal)
        {
            sink.Add(names.Principal, principal.DisplayName);
            sink.Add(names.PrincipalType, principal is Policy.Model.User ? "user" : "service_account");
            sink.Add(names.Org, principal.Org);
            sink.Add(names.AuthMethod, feature.AuthMethod);
            if (feature.KeyId is not null)
            {
                sink.Add(names.KeyId, feature.KeyId);
            }

            if (feature.Entity is not null)
            {
                sink.Add(names.Entity, feature.Entity);
            }

            if (feature.Project is not null)
            {
                sink.Add(names.Project, feature.Project);
            }

            if (feature.AttributedUser is { } user)
            {
                sink.Add(names.AttributedUser, user.Username);
                if (feature.AttributionUsernameHeader is not null)
                {
                    sink.Add(IdentityHeaderNames.AttributionUsername, feature.AttributionUsernameHeader);
                }

                if (feature.AttributionEmailHeader is not null)
                {
                    sink.Add(IdentityHeaderNames.AttributionEmail, feature.AttributionEmailHeader);
                }
            }
        }
        else
        {
            sink.Add(names.AuthMethod, feature.AuthMethod);
        }

        if (signer is not null)
        {
            sink.Add(names.Identity, signer.Sign(feature, audience));
        }
    }
}
