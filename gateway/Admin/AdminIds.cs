using Gateway.Keys;

namespace Gateway.Admin;

/// <summary>Immutable random ids: grants and keys refer to these, so a re-created name inherits nothing.</summary>
internal static class AdminIds
{
    public static string NewUserId() => "u_" + Base62.Random(20);

    public static string NewServiceAccountId() => "sa_" + Base62.Random(20);
}
