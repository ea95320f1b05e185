using Gateway.Policy.Access;
using Gateway.Policy.Model;
using Xunit;

namespace Policy.Tests.Access;

/// <summary>
/// The decision matrix: visibility x relation x principal kind x action. Project "ml/p" is owned by
/// team "ml" of org "acme". Each row gives the expected outcome for Read / Write / Manage on an Open,
/// Public, Team and Restricted project, in that order.
/// </summary>
public sealed class AccessMatrixTests
{
    private const string A = DenyReasons.Allowed;
    private const string NPM = DenyReasons.NotProjectManager;
    private const string PNF = DenyReasons.ProjectNotFound;
    private const string ITR = DenyReasons.InsufficientTeamRole;
    private const string IPR = DenyReasons.InsufficientProjectRole;
    private const string NAM = DenyReasons.NotAMember;
    private const string OO = DenyReasons.OutsideOrganization;
    private const string OSS = DenyReasons.OutsideServiceAccountScope;
    private const string EGR = DenyReasons.ExplicitGrantRequired;
    private const string GR = DenyReasons.GrantRequired;
    private const string PI = DenyReasons.PrincipalInactive;

    // principal, then { Open R W M }, { Public R W M }, { Team R W M }, { Restricted R W M }
    private static readonly (string Principal, string[] Expected)[] Rows =
    [
        ("member",                 [A, A, NPM,   A, A, NPM,     A, A, NPM,       PNF, PNF, PNF]),
        ("viewer",                 [A, A, NPM,   A, ITR, NPM,   A, ITR, NPM,     PNF, PNF, PNF]),
        ("team-admin",             [A, A, A,     A, A, A,       A, A, A,         GR, GR, A]),
        ("org-admin",              [A, A, A,     A, NAM, A,     NAM, NAM, A,     GR, GR, A]),
        ("org-user",               [A, A, NPM,   A, NAM, NPM,   NAM, NAM, NPM,   PNF, PNF, PNF]),
        ("other-org-user",         [A, A, NPM,   A, OO, NPM,    OO, OO, NPM,     PNF, PNF, PNF]),
        ("team-sa",                [A, A, NPM,   A, A, NPM,     A, A, NPM,       PNF, PNF, PNF]),
        ("other-team-sa",          [A, A, NPM,   A, OSS, NPM,   OSS, OSS, NPM,   PNF, PNF, PNF]),
        ("org-sa",                 [A, A, NPM,   A, A, NPM,     A, A, NPM,       PNF, PNF, PNF]),
        ("other-org-sa",           [A, A, NPM,   A, OO, NPM,    OO, OO, NPM,     PNF, PNF, PNF]),
        ("explicit-sa",            [EGR, EGR, NPM, EGR, EGR, NPM, EGR, EGR, NPM, PNF, PNF, PNF]),
        ("explicit-sa-contrib",    [A, A, NPM,   A, A, NPM,     A, A, NPM,       A, A, NPM]),
        ("explicit-team-sa-viewer",[A, IPR, NPM, A, IPR, NPM,   A, IPR, NPM,     A, IPR, NPM]),
        ("org-user-viewer-grant",  [A, A, NPM,   A, IPR, NPM,   A, IPR, NPM,     A, IPR, NPM]),
        ("org-user-contrib-grant", [A, A, NPM,   A, A, NPM,     A, A, NPM,       A, A, NPM]),
        ("other-team-sa-contrib",  [A, A, NPM,   A, A, NPM,     A, A, NPM,       A, A, NPM]),
        ("inactive-team-sa",       [PI, PI, PI,  PI, PI, PI,    PI, PI, PI,      PI, PI, PI]),
        ("member-owner-grant",     [A, A, A,     A, A, A,       A, A, A,         A, A, A]),
        ("team-admin-viewer-grant",[A, A, A,     A, A, A,       A, A, A,         A, IPR, A]),
        ("viewer-viewer-grant",    [A, A, NPM,   A, IPR, NPM,   A, IPR, NPM,     A, IPR, NPM]),
        ("other-org-user-owner",   [A, A, A,     A, A, A,       A, A, A,         A, A, A]),
    ];

    private static readonly Visibility[] Visibilities = [Visibility.Open, Visibility.Public, Visibility.Team, Visibility.Restricted];
    private static readonly AccessAction[] Actions = [AccessAction.Read, AccessAction.Write, AccessAction.Manage];

    public static TheoryData<string, Visibility, AccessAction, string> Cases()
    {
        var data = new TheoryData<string, Visibility, AccessAction, string>();
        foreach (var (principal, expected) in Rows)
        {
            for (var v = 0; v < Visibilities.Length; v++)
            {
                for (var a = 0; a < Actions.Length; a++)
                {
                    data.Add(principal, Visibilities[v], Actions[a], expected[v * 3 + a]);
                }
            }
        }

        return data;
    }

    [Fact]
    public void Matrix_HasAtLeast150Cases() => Assert.True(Cases().Count >= 150, $"only {Cases().Count} cases");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decides(string principalName, Visibility visibility, AccessAction action, string expected)
    {
        var directory = new TestDirectory().Team("ml", "acme").Team("cv", "acme").Team("rival", "globex")
            .Project("ml", "p", visibility);
        var principal = Build(principalName, directory);

        var decision = AccessEvaluator.Evaluate(new AccessRequest(principal, "ml", "p", action), directory);

        Assert.Equal(expected, decision.Reason);
        Assert.Equal(expected == A, decision.IsAllowed);
        Assert.Equal(expected == PNF, decision.IsNotFound);
    }

    private static Principal Build(string name, TestDirectory d) => name switch
    {
        "member" => d.User("mem", "acme", teams: ("ml", TeamRole.Member)),
        "viewer" => d.User("view", "acme", teams: ("ml", TeamRole.Viewer)),
        "team-admin" => d.User("tadm", "acme", teams: ("ml", TeamRole.Admin)),
        "org-admin" => d.User("oadm", "acme", OrgRole.Admin, teams: ("cv", TeamRole.Member)),
        "org-user" => d.User("cvuser", "acme", teams: ("cv", TeamRole.Admin)),
        "other-org-user" => d.User("stranger", "globex", OrgRole.Admin, teams: ("rival", TeamRole.Admin)),
        "team-sa" => d.TeamSa("ci", "ml", "acme"),
        "other-team-sa" => d.TeamSa("ci", "cv", "acme"),
        "org-sa" => d.OrgSa("bot", "cv", "acme"),
        "other-org-sa" => d.OrgSa("bot", "rival", "globex"),
        "explicit-sa" => d.OrgSa("nep", "ml", "acme", AccessMode.Explicit),
        "explicit-sa-contrib" => Granted(d, d.OrgSa("nep", "ml", "acme", AccessMode.Explicit), ProjectRole.Contributor),
        "explicit-team-sa-viewer" => Granted(d, d.TeamSa("nep", "ml", "acme", AccessMode.Explicit), ProjectRole.Viewer),
        "org-user-viewer-grant" => Granted(d, d.User("g1", "acme", teams: ("cv", TeamRole.Member)), ProjectRole.Viewer),
        "org-user-contrib-grant" => Granted(d, d.User("g2", "acme"), ProjectRole.Contributor),
        "other-team-sa-contrib" => Granted(d, d.TeamSa("ci", "cv", "acme"), ProjectRole.Contributor),
        "inactive-team-sa" => d.TeamSa("old", "ml", "acme", active: false),
        "member-owner-grant" => Granted(d, d.User("own", "acme", teams: ("ml", TeamRole.Member)), ProjectRole.Owner),
        "team-admin-viewer-grant" => Granted(d, d.User("tadm2", "acme", teams: ("ml", TeamRole.Admin)), ProjectRole.Viewer),
        "viewer-viewer-grant" => Granted(d, d.User("vv", "acme", teams: ("ml", TeamRole.Viewer)), ProjectRole.Viewer),
        "other-org-user-owner" => Granted(d, d.User("ext", "globex"), ProjectRole.Owner),
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    private static Principal Granted(TestDirectory d, Principal p, ProjectRole role)
    {
        d.Grant(p, "ml", "p", role);
        return p;
    }
}
