using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Functional;

/// <summary>
/// No caller acts on a principal whose rights exceed its own: every caller role × every target kind ×
/// every action that acts on a principal (mint a key, delete its key, deactivate, reactivate, delete,
/// change its team role). An allowed cell succeeds; a refused one answers exactly what the same caller
/// gets for a target that does not exist (status, code, message with the name swapped), so a refusal
/// tells nothing. Each cell gets fresh targets. Callers (OrgFixture): root (operator and org admin),
/// erin (org admin), alice (ml admin), bob (ml member), and opm (an operator who is an org member).
/// </summary>
public sealed class ActingOnPrincipalsTests(OrgFixture org) : IClassFixture<OrgFixture>
{
    private TestGateway Gw => org.Gw;

    private static readonly string[] Callers = ["root", "erin", "alice", "bob", "opm"];

    private static readonly string[] Targets = ["operator", "orgadmin", "teamadmin", "member", "teamsa", "teamsa-granted", "orgsa"];

    private static readonly string[] Actions = ["key.create", "key.delete", "deactivate", "reactivate", "delete", "team-role"];

    /// <summary>The expected matrix, written out: who may act on whom.</summary>
    private static bool Allowed(string caller, string target, string action)
    {
        var orgAdmin = caller is "root" or "erin";
        if (action == "team-role")
        {
            // Only users hold team roles; a team admin's business, unless the user outranks the caller.
            return target switch
            {
                "operator" => caller == "root",
                "orgadmin" => orgAdmin,
                "teamadmin" or "member" => orgAdmin || caller == "alice",
                _ => false,
            };
        }

        return target switch
        {
            "operator" => caller == "root",
            "orgadmin" or "teamadmin" or "member" => orgAdmin,
            "teamsa" => orgAdmin || caller == "alice",
            // Granted owner on cv/cv-p by cv's admin: ml's admin does not hold that right.
            "teamsa-granted" or "orgsa" => orgAdmin,
            _ => false,
        };
    }

    private async Task<string> KeyOfAsync(string caller)
    {
        if (caller != "opm")
        {
            return caller == "root" ? org.Root : org.Keys[caller];
        }

        if (!org.Keys.TryGetValue("opm", out var key))
        {
            await OrgFixture.Ok(Gw.PostAsync("/admin/v1/orgs/acme/users", org.Root, new { username = "opm", email = "opm@acme.example" }));
            await OrgFixture.Ok(Gw.PutAsync("/admin/v1/operators/opm", org.Root, new { }));
            key = (await OrgFixture.Ok(Gw.PostAsync("/admin/v1/users/opm/keys", org.Root, new { name = "k" }))).Str("key");
            org.Keys["opm"] = key;
        }

        return key;
    }

    // A fresh principal of the kind, made by root: its name in API paths, and whether it is a user.
    private async Task<(string Name, bool IsUser)> CreateTargetAsync(string kind)
    {
        var name = "t" + Guid.NewGuid().ToString("N")[..8];
        var root = org.Root;
        switch (kind)
        {
            case "teamsa" or "teamsa-granted":
                await OrgFixture.Ok(Gw.PostAsync("/admin/v1/teams/ml/service-accounts", root, new { name }));
                if (kind == "teamsa-granted")
                {
                    await OrgFixture.Ok(Gw.PutAsync($"/admin/v1/projects/cv/cv-p/grants/{name}@ml", org.Keys["carol"], new { role = "owner" }));
                }

                return (name + "@ml", false);
            case "orgsa":
                await OrgFixture.Ok(Gw.PostAsync("/admin/v1/orgs/acme/service-accounts", root, new { name, defaultTeam = "ml" }));
                return (name + "@acme", false);
            default:
                await OrgFixture.Ok(Gw.PostAsync("/admin/v1/orgs/acme/users", root, new { username = name, email = name + "@acme.example", orgRole = kind == "orgadmin" ? "admin" : "member" }));
                if (kind is "teamadmin" or "member")
                {
                    await OrgFixture.Ok(Gw.PutAsync($"/admin/v1/teams/ml/members/{name}", root, new { role = kind == "teamadmin" ? "admin" : "member" }));
                }

                if (kind == "operator")
                {
                    await OrgFixture.Ok(Gw.PutAsync($"/admin/v1/operators/{name}", root, new { }));
                }

                return (name, true);
        }
    }

    private Task<ApiResponse> ActAsync(string key, string action, string name, bool isUser, string keyId)
    {
        var principal = isUser ? $"/admin/v1/users/{name}" : $"/admin/v1/service-accounts/{name}";
        return action switch
        {
            "key.create" => Gw.PostAsync(principal + "/keys", key, new { name = "borrowed" }),
            "key.delete" => Gw.DeleteAsync($"/admin/v1/keys/{keyId}", key),
            "deactivate" => Gw.PostAsync(principal + "/deactivate", key, new { }),
            "reactivate" => Gw.PostAsync(principal + "/reactivate", key, new { }),
            "delete" => Gw.DeleteAsync(principal, key),
            _ => Gw.PutAsync($"/admin/v1/teams/ml/members/{name}", key, new { role = "member" }),
        };
    }

    public static TheoryData<string, string> Cells()
    {
        var data = new TheoryData<string, string>();
        foreach (var caller in Callers)
        {
            foreach (var target in Targets)
            {
                data.Add(caller, target);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task EveryActionOnAPrincipal_NeedsAllOfItsRights(string caller, string target)
    {
        var key = await KeyOfAsync(caller);
        foreach (var action in Actions)
        {
            if (action == "team-role" && !target.EndsWith("admin", StringComparison.Ordinal) && target is not ("member" or "operator"))
            {
                continue; // service accounts hold no team roles
            }

            var (name, isUser) = await CreateTargetAsync(target);
            var keyPath = isUser ? $"/admin/v1/users/{name}/keys" : $"/admin/v1/service-accounts/{name}/keys";
            var keyId = (await OrgFixture.Ok(Gw.PostAsync(keyPath, org.Root, new { name = "theirs" }))).Str("keyId");
            if (action == "reactivate")
            {
                await OrgFixture.Ok(Gw.PostAsync((isUser ? $"/admin/v1/users/{name}" : $"/admin/v1/service-accounts/{name}") + "/deactivate", org.Root, new { }));
            }

            var response = await ActAsync(key, action, name, isUser, keyId);
            if (Allowed(caller, target, action))
            {
                Assert.True(response.Status is 200 or 201 or 204, $"{caller} {action} {target}: expected success, got {response}");
                continue;
            }

            // The same caller, the same action, on nothing: the answer must be the same.
            var ghostName = "ghost" + name[1..];
            var ghostKeyId = "gwk_" + Guid.NewGuid().ToString("N")[..12];
            var ghost = await ActAsync(key, action, ghostName, isUser, ghostKeyId);
            Assert.Equal(ghost.WithoutRequestId.Replace(ghostName, "NAME", StringComparison.Ordinal).Replace(ghostKeyId, "ID", StringComparison.Ordinal),
                response.WithoutRequestId.Replace(name, "NAME", StringComparison.Ordinal).Replace(keyId, "ID", StringComparison.Ordinal));
            Assert.Equal(ghost.Status, response.Status);
            Assert.True(response.Status is 403 or 404, $"{caller} {action} {target}: {response}");
        }
    }

    [Fact]
    public async Task AnOrgAdmin_CannotBorrowAnOperatorsRights()
    {
        // The reported path: mint a key for an operator of one's own org, then use it to become one.
        var (name, _) = await CreateTargetAsync("operator");
        var minted = await Gw.PostAsync($"/admin/v1/users/{name}/keys", org.Keys["erin"], new { name = "borrowed" });
        Assert.True(minted.Status == 404 && minted.Code == "user_not_found", minted.ToString());
        Assert.Equal(403, (await Gw.PutAsync("/admin/v1/operators/erin", org.Keys["erin"], new { })).Status);
        // The operator's keys are not listed to the org admin either.
        var keys = await Gw.GetAsync($"/admin/v1/keys?owner={name}", org.Keys["erin"]);
        Assert.Equal(404, keys.Status);
    }
}
