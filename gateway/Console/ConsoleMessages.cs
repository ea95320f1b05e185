namespace Gateway.OperatorConsole;

/// <summary>The admin API's problem codes as sentences a person reads; the code itself is shown beside them.</summary>
internal static class ConsoleMessages
{
    private static readonly Dictionary<string, string> Messages = new(StringComparer.Ordinal)
    {
        ["invalid_credentials"] = "That API key was not accepted.",
        ["credentials_required"] = "Enter an API key.",
        ["too_many_failed_authentications"] = "Too many failed sign-ins from this address. Wait a minute and try again.",
        ["store_unavailable"] = "The gateway cannot reach its store right now; nothing was changed. Try again shortly.",
        ["issuer_unavailable"] = "The identity provider's keys cannot be fetched right now. Try again shortly.",
        ["invalid_body"] = "The form could not be read.",
        ["invalid_fields"] = "Some fields need attention.",
        ["invalid_query"] = "Some filters need attention.",
        ["org_not_found"] = "No such organization.",
        ["team_not_found"] = "No such team, or you cannot see it.",
        ["user_not_found"] = "No such user, or you cannot see them.",
        ["project_not_found"] = "No such project, or you cannot see it.",
        ["principal_not_found"] = "No such user or service account, or you cannot see it.",
        ["service_account_not_found"] = "No such service account, or you do not manage it.",
        ["key_not_found"] = "No such key, or you do not manage it.",
        ["membership_not_found"] = "That user is not a member of the team.",
        ["grant_not_found"] = "There is no such grant.",
        ["org_admin_required"] = "Only an organization admin may do this.",
        ["operator_required"] = "Only a gateway operator may do this.",
        ["last_operator"] = "This is the last active gateway operator: make another user an operator first.",
        ["team_admin_required"] = "Only a team admin or an organization admin may do this.",
        ["not_project_manager"] = "Only the project's owners, team admins and organization admins may manage it.",
        ["not_key_owner"] = "You may not manage this key.",
        ["key_restricted"] = "The key you signed in with does not allow this (read-only, limited to projects, or not from this network).",
        ["name_taken"] = "That name is already taken.",
        ["email_taken"] = "That email address is already used.",
        ["subject_taken"] = "That issuer and subject already belong to another service account.",
        ["key_exists"] = "That key already exists.",
        ["key_import_refused"] = "That key cannot be imported.",
        ["service_account_deactivated"] = "The service account is deactivated: reactivate it first.",
        ["federated_account_has_no_keys"] = "External (federated) service accounts use their identity provider's tokens, not API keys.",
        ["issuer_not_found"] = "No such trusted issuer.",
        ["issuer_exists"] = "That issuer is already trusted.",
        ["issuer_in_use"] = "Service accounts still use this issuer: delete them first.",
        ["issuer_from_configuration"] = "This issuer comes from gateway.json; change it there.",
        ["cannot_delete_self"] = "You cannot delete your own user.",
        ["cannot_deactivate_self"] = "You cannot deactivate your own user.",
    };

    public static string For(AdminReply reply)
    {
        var code = reply.Code ?? "error";
        var text = Messages.TryGetValue(code, out var known) ? known : reply.Detail ?? "The request was refused.";
        return $"{text} ({code})";
    }

    public static string ForCode(string code) => Messages.TryGetValue(code, out var known) ? $"{known} ({code})" : code;
}
