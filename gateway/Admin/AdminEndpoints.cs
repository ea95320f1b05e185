using Gateway.Hosting;
using Gateway.Policy.Model;
using Gateway.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Gateway.Admin;

/// <summary>Maps <c>/admin/v1</c> on the admin listener only, behind key authentication.</summary>
internal static class AdminEndpoints
{
    public static RouteGroupBuilder MapGatewayAdmin(this IEndpointRouteBuilder endpoints)
    {
        var admin = endpoints.MapGroup("/admin/v1")
            .WithMetadata(ListenerMetadata.Admin)
            .AddEndpointFilter<AdminProblemFilter>()
            .AddEndpointFilter<AdminAuthenticationFilter>();

        admin.MapGet("/whoami", WhoAmI);
        OrgEndpoints.Map(admin);
        UserUpdateEndpoints.Map(admin);
        PrincipalLimitEndpoints.Map(admin);
        ExplainEndpoints.Map(admin);
        UsageEndpoints.Map(admin);
        DirectoryListEndpoints.Map(admin);
        OperatorEndpoints.Map(admin);
        TeamEndpoints.Map(admin);
        TeamLifecycleEndpoints.Map(admin);
        ProjectEndpoints.Map(admin);
        ServiceAccountEndpoints.Map(admin);
        FederationRuleEndpoints.Map(admin);
        KeyEndpoints.Map(admin);
        KeyRotationEndpoints.Map(admin);
        AuditEndpoints.Map(admin);
        IssuerEndpoints.Map(admin);
        DirectoryAsCode.DirectoryEndpoints.Map(admin);
        return admin;
    }

    private static IResult WhoAmI(HttpContext http)
    {
        var caller = AdminCaller.From(http);
        var view = caller.Principal switch
        {
            User u => new WhoAmIView(u.Username, "user", u.Org, Wire.Of(u.OrgRole),
                u.Teams.OrderBy(t => t.Key, StringComparer.Ordinal).ToDictionary(t => t.Key, t => Wire.Of(t.Value)),
                Policy.Access.AccessEvaluator.DefaultEntity(u), caller.KeyId, caller.AuthMethod, OperatorEndpoints.IsOperator(u)),
            ServiceAccount s => new WhoAmIView(s.DisplayName, "service_account", s.Org, null, null, s.Team, caller.KeyId, caller.AuthMethod),
            _ => throw new InvalidOperationException("Unknown principal kind."),
        };
        return AdminJson.Json(view);
    }
}
