using Gateway.Policy.Model;
using Gateway.Store;
using Microsoft.AspNetCore.Http;

namespace Gateway.Admin;

/// <summary>The authenticated caller of an admin request, set by <see cref="AdminAuthenticationFilter"/>.</summary>
internal sealed record AdminCaller(Principal Principal, string KeyId, string? Address, string AuthMethod)
{
    /// <summary>The restrictions of the key the caller authenticated with (for a console session: its sign-in key's).</summary>
    public KeyRestrictions? Restrictions { get; init; }

    public static AdminCaller From(HttpContext context)
        => context.Features.Get<AdminCaller>() ?? throw new InvalidOperationException("The admin authentication filter did not run.");

    public AuditEvent Audit(DateTimeOffset at, string org, string action, string target, string? detail = null) => new()
    {
        At = at, Org = org, Action = action, Actor = Principal.DisplayName, ActorId = Principal.Id, KeyId = KeyId,
        Target = target, Address = Address, Detail = detail, Channel = AuthMethod == ConsoleMethod ? "console" : null,
    };

    /// <summary>The <see cref="AuthMethod"/> of a caller signed in to the operator console.</summary>
    public const string ConsoleMethod = "console_session";
}
