using Gateway.Policy.Access;
using Gateway.Policy.Model;
using Xunit;

namespace Policy.Tests.Access;

/// <summary>One test per rule of DESIGN.md "The access rules", by name.</summary>
public sealed class AccessRuleTests
{
    private readonly TestDirectory _d = new TestDirectory()
        .Team("ml", "acme").Team("cv", "acme").Team("rival", "globex")
        .Project("ml", "team-p", Visibility.Team)
        .Project("ml", "open-p", Visibility.Open)
        .Project("ml", "public-p", Visibility.Public)
        .Project("ml", "secret", Visibility.Restricted)
        .Project("cv", "cv-p", Visibility.Team);

    private AccessDecision Eval(Principal p, string? entity, string? project, AccessAction action, AttributionClaim claim = default)
        => AccessEvaluator.Evaluate(new AccessRequest(p, entity, project, action, claim), _d);

    [Fact]
    public void DefaultDecision_Denies()
    {
        var decision = default(AccessDecision);
        Assert.False(decision.IsAllowed);
        Assert.Equal(DenyReasons.Denied, decision.Reason);
    }

    [Fact]
    public void NoEntity_User_UsesDefaultEntity()
    {
        var user = _d.User("alice", "acme", defaultEntity: "ml", teams: ("ml", TeamRole.Member));
        var decision = Eval(user, null, "team-p", AccessAction.Write);
        Assert.True(decision.IsAllowed);
        Assert.Equal("ml", decision.Entity);
    }

    [Fact]
    public void NoEntity_UserInOneTeamWithoutDefault_UsesThatTeam()
    {
        // Seed 004: "If you are a member of only one team, that team is the default."
        var user = _d.User("bob", "acme", teams: ("ml", TeamRole.Member));
        var decision = Eval(user, null, "team-p", AccessAction.Write);
        Assert.True(decision.IsAllowed);
        Assert.Equal("ml", decision.Entity);
    }

    [Fact]
    public void NoEntity_UserInNoTeamOrSeveral_WithoutDefault_UsesPersonalEntity()
    {
        var alone = Eval(_d.User("dora", "acme"), null, "scratch", AccessAction.Write);
        Assert.True(alone.IsAllowed);
        Assert.Equal("dora", alone.Entity);
        var several = Eval(_d.User("bob", "acme", teams: [("ml", TeamRole.Member), ("cv", TeamRole.Member)]), null, "scratch", AccessAction.Write);
        Assert.True(several.IsAllowed);
        Assert.Equal("bob", several.Entity);
    }

    [Fact]
    public void NoEntity_AChosenTeamTheUserLeft_NoLongerCounts()
    {
        var user = _d.User("bob", "acme", defaultEntity: "cv", teams: ("ml", TeamRole.Member));
        Assert.Equal("ml", Eval(user, null, "team-p", AccessAction.Write).Entity);
    }

    [Fact]
    public void NoEntity_OrgServiceAccount_UsesDefaultTeam()
    {
        var decision = Eval(_d.OrgSa("bot", "cv", "acme"), "", "cv-p", AccessAction.Write);
        Assert.True(decision.IsAllowed);
        Assert.Equal("cv", decision.Entity);
    }

    [Fact]
    public void NoEntity_TeamServiceAccount_UsesParentTeam()
    {
        var decision = Eval(_d.TeamSa("ci", "ml", "acme"), null, "team-p", AccessAction.Write);
        Assert.True(decision.IsAllowed);
        Assert.Equal("ml", decision.Entity);
    }

    [Fact]
    public void UnknownProject_IsTreatedAsTeamProjectOfItsEntity()
    {
        var member = _d.User("m", "acme", teams: ("ml", TeamRole.Member));
        var outsider = _d.User("o", "acme", teams: ("cv", TeamRole.Member));
        Assert.True(Eval(member, "ml", "brand-new", AccessAction.Write).IsAllowed);
        Assert.Equal(DenyReasons.NotAMember, Eval(outsider, "ml", "brand-new", AccessAction.Read).Reason);
        Assert.True(Eval(_d.TeamSa("ci", "ml", "acme"), "ml", "brand-new", AccessAction.Write).IsAllowed);
        Assert.Equal(DenyReasons.OutsideServiceAccountScope, Eval(_d.TeamSa("ci", "cv", "acme"), "ml", "brand-new", AccessAction.Write).Reason);
    }

    [Fact]
    public void UnknownEntity_IsDenied()
    {
        var admin = _d.User("root", "acme", OrgRole.Admin);
        var decision = Eval(admin, "nobody", "p", AccessAction.Read);
        Assert.Equal(DenyReasons.EntityNotFound, decision.Reason);
        Assert.False(decision.IsAllowed);
    }

    [Fact]
    public void EntityNames_AreComparedExactly()
    {
        var member = _d.User("m", "acme", teams: ("ml", TeamRole.Member));
        Assert.Equal(DenyReasons.EntityNotFound, Eval(member, "ML", "team-p", AccessAction.Read).Reason);
    }

    [Fact]
    public void Restricted_NeedsExplicitGrant_ForAdminsAndServiceAccounts()
    {
        var orgAdmin = _d.User("root", "acme", OrgRole.Admin, teams: ("ml", TeamRole.Admin));
        Assert.Equal(DenyReasons.GrantRequired, Eval(orgAdmin, "ml", "secret", AccessAction.Read).Reason);
        Assert.Equal(DenyReasons.ProjectNotFound, Eval(_d.OrgSa("bot", "ml", "acme"), "ml", "secret", AccessAction.Read).Reason);
        Assert.Equal(DenyReasons.ProjectNotFound, Eval(_d.TeamSa("ci", "ml", "acme"), "ml", "secret", AccessAction.Write).Reason);
        var granted = _d.TeamSa("ci2", "ml", "acme");
        _d.Grant(granted, "ml", "secret", ProjectRole.Contributor);
        Assert.True(Eval(granted, "ml", "secret", AccessAction.Write).IsAllowed);
    }

    [Fact]
    public void Restricted_AnswersProjectNotFound_ToThoseWhoMayNotSeeIt()
    {
        var member = _d.User("m", "acme", teams: ("ml", TeamRole.Member));
        var decision = Eval(member, "ml", "secret", AccessAction.Read);
        Assert.True(decision.IsNotFound);
        Assert.Equal(DenyReasons.ProjectNotFound, decision.Reason);
    }

    [Fact]
    public void Admins_MayManageRestricted_WithoutDataAccess()
    {
        var teamAdmin = _d.User("ta", "acme", teams: ("ml", TeamRole.Admin));
        Assert.True(Eval(teamAdmin, "ml", "secret", AccessAction.Manage).IsAllowed);
        Assert.False(Eval(teamAdmin, "ml", "secret", AccessAction.Read).IsAllowed);
    }

    [Fact]
    public void TeamServiceAccount_StaysInItsTeam_ExceptOpenAndPublic()
    {
        var sa = _d.TeamSa("ci", "cv", "acme");
        Assert.True(Eval(sa, "ml", "open-p", AccessAction.Write).IsAllowed);
        Assert.True(Eval(sa, "ml", "public-p", AccessAction.Read).IsAllowed);
        Assert.Equal(DenyReasons.OutsideServiceAccountScope, Eval(sa, "ml", "public-p", AccessAction.Write).Reason);
        Assert.Equal(DenyReasons.OutsideServiceAccountScope, Eval(sa, "ml", "team-p", AccessAction.Read).Reason);
        Assert.Equal(DenyReasons.ProjectNotFound, Eval(sa, "ml", "secret", AccessAction.Read).Reason);
        Assert.True(Eval(sa, "cv", "cv-p", AccessAction.Write).IsAllowed);
    }

    [Fact]
    public void OrgServiceAccount_ReachesEveryNonRestrictedProjectOfItsOrg()
    {
        var sa = _d.OrgSa("bot", "cv", "acme");
        Assert.True(Eval(sa, "ml", "team-p", AccessAction.Write).IsAllowed);
        Assert.True(Eval(sa, "cv", "cv-p", AccessAction.Write).IsAllowed);
        Assert.True(Eval(sa, "ml", "public-p", AccessAction.Write).IsAllowed);
        Assert.False(Eval(sa, "ml", "secret", AccessAction.Read).IsAllowed);
        Assert.Equal(DenyReasons.OutsideOrganization, Eval(sa, "rival", "x", AccessAction.Read).Reason);
    }

    [Fact]
    public void ExplicitServiceAccount_ReachesOnlyGrantedProjects_EvenOpenOnes()
    {
        var sa = _d.OrgSa("nep", "ml", "acme", AccessMode.Explicit);
        Assert.Equal(DenyReasons.ExplicitGrantRequired, Eval(sa, "ml", "open-p", AccessAction.Read).Reason);
        Assert.Equal(DenyReasons.ExplicitGrantRequired, Eval(sa, "ml", "team-p", AccessAction.Read).Reason);
        Assert.Equal(DenyReasons.ExplicitGrantRequired, Eval(sa, "ml", null, AccessAction.Read).Reason);
        _d.Grant(sa, "ml", "team-p", ProjectRole.Contributor);
        Assert.True(Eval(sa, "ml", "team-p", AccessAction.Write).IsAllowed);
    }

    [Fact]
    public void PersonalEntity_OnlyItsUserPlusGrants()
    {
        var alice = _d.User("alice", "acme", OrgRole.Admin);
        var bob = _d.User("bob", "acme", teams: ("ml", TeamRole.Admin));
        Assert.True(Eval(alice, "alice", "notes", AccessAction.Write).IsAllowed);
        Assert.Equal(DenyReasons.PersonalEntity, Eval(bob, "alice", "notes", AccessAction.Read).Reason);
        Assert.Equal(DenyReasons.PersonalEntity, Eval(_d.OrgSa("bot", "ml", "acme"), "alice", "notes", AccessAction.Read).Reason);
        _d.Grant(bob, "alice", "notes", ProjectRole.Viewer);
        Assert.True(Eval(bob, "alice", "notes", AccessAction.Read).IsAllowed);
        Assert.False(Eval(bob, "alice", "notes", AccessAction.Write).IsAllowed);
    }

    [Fact]
    public void ManageActions_TeamAdminOwnerGrantOrgAdmin()
    {
        Assert.True(Eval(_d.User("ta", "acme", teams: ("ml", TeamRole.Admin)), "ml", "team-p", AccessAction.Manage).IsAllowed);
        Assert.True(Eval(_d.User("oa", "acme", OrgRole.Admin), "ml", "team-p", AccessAction.Manage).IsAllowed);
        var owner = _d.TeamSa("ci", "ml", "acme");
        _d.Grant(owner, "ml", "team-p", ProjectRole.Owner);
        Assert.True(Eval(owner, "ml", "team-p", AccessAction.Manage).IsAllowed);
        Assert.Equal(DenyReasons.NotProjectManager, Eval(_d.User("m", "acme", teams: ("ml", TeamRole.Member)), "ml", "team-p", AccessAction.Manage).Reason);
        Assert.Equal(DenyReasons.NotProjectManager, Eval(_d.User("oa2", "globex", OrgRole.Admin), "ml", "team-p", AccessAction.Manage).Reason);
    }

    [Fact]
    public void DeactivatedPrincipal_IsDeniedEverything()
    {
        var user = _d.User("gone", "acme", active: false, teams: ("ml", TeamRole.Admin));
        Assert.Equal(DenyReasons.PrincipalInactive, Eval(user, "ml", "open-p", AccessAction.Read).Reason);
        Assert.False(AccessEvaluator.IsEntityAdmin(user, new EntityRef("ml", "acme", EntityKind.Team, null)));
    }

    [Fact]
    public void EntityOnlyRequest_JudgedAsTeamProjectWithoutGrants()
    {
        Assert.True(Eval(_d.User("v", "acme", teams: ("ml", TeamRole.Viewer)), "ml", null, AccessAction.Read).IsAllowed);
        Assert.Equal(DenyReasons.InsufficientTeamRole, Eval(_d.User("v2", "acme", teams: ("ml", TeamRole.Viewer)), "ml", null, AccessAction.Write).Reason);
        Assert.Equal(DenyReasons.OutsideServiceAccountScope, Eval(_d.TeamSa("ci", "cv", "acme"), "ml", null, AccessAction.Read).Reason);
    }

    [Fact]
    public void Attribution_UserPrincipal_IsDropped()
    {
        var user = _d.User("alice", "acme", teams: ("ml", TeamRole.Member));
        _d.User("carol", "acme", teams: ("ml", TeamRole.Member));
        var decision = Eval(user, "ml", "team-p", AccessAction.Write, new AttributionClaim("carol", null));
        Assert.True(decision.IsAllowed);
        Assert.Null(decision.AttributedUser);
        Assert.Equal(DenyReasons.AttributionNotServiceAccount, decision.AttributionReason);
    }

    [Fact]
    public void Attribution_TeamServiceAccount_NeedsUserInParentTeam()
    {
        _d.User("carol", "acme", teams: ("ml", TeamRole.Member));
        _d.User("dave", "acme", teams: ("cv", TeamRole.Member));
        var sa = _d.TeamSa("ci", "ml", "acme");

        var ok = Eval(sa, "ml", "team-p", AccessAction.Write, new AttributionClaim("carol", null));
        Assert.Equal(DenyReasons.AttributionVerified, ok.AttributionReason);
        Assert.Equal("carol", ok.AttributedUser?.Username);

        var dropped = Eval(sa, "ml", "team-p", AccessAction.Write, new AttributionClaim("dave", null));
        Assert.True(dropped.IsAllowed);
        Assert.Null(dropped.AttributedUser);
        Assert.Equal(DenyReasons.AttributionUserNotInTeam, dropped.AttributionReason);

        // Even when writing to an Open project of another team, the parent team is what counts.
        var open = Eval(sa, "cv", "anything-open", AccessAction.Read, new AttributionClaim("dave", null));
        Assert.Equal(DenyReasons.OutsideServiceAccountScope, open.Reason);
    }

    [Fact]
    public void Attribution_OrgServiceAccount_NeedsUserInTargetTeam()
    {
        _d.User("carol", "acme", teams: ("ml", TeamRole.Member));
        var sa = _d.OrgSa("bot", "cv", "acme");
        Assert.Equal(DenyReasons.AttributionVerified, Eval(sa, "ml", "team-p", AccessAction.Write, new AttributionClaim(null, "carol@example.com")).AttributionReason);
        Assert.Equal(DenyReasons.AttributionUserNotInTeam, Eval(sa, "cv", "cv-p", AccessAction.Write, new AttributionClaim("carol", null)).AttributionReason);
        // No entity: the default team (cv) is the target.
        Assert.Equal(DenyReasons.AttributionUserNotInTeam, Eval(sa, null, "cv-p", AccessAction.Write, new AttributionClaim("carol", null)).AttributionReason);
    }

    [Fact]
    public void Attribution_UnknownMismatchedOrInactiveUser_IsDropped()
    {
        _d.User("carol", "acme", teams: ("ml", TeamRole.Member));
        _d.User("erin", "acme", teams: ("ml", TeamRole.Member));
        _d.User("frank", "acme", active: false, teams: ("ml", TeamRole.Member));
        _d.User("gina", "globex", teams: ("ml", TeamRole.Member));
        var sa = _d.TeamSa("ci", "ml", "acme");
        Assert.Equal(DenyReasons.AttributionUserNotFound, Eval(sa, "ml", "team-p", AccessAction.Write, new AttributionClaim("ceo", null)).AttributionReason);
        Assert.Equal(DenyReasons.AttributionMismatch, Eval(sa, "ml", "team-p", AccessAction.Write, new AttributionClaim("carol", "erin@example.com")).AttributionReason);
        Assert.Equal(DenyReasons.AttributionVerified, Eval(sa, "ml", "team-p", AccessAction.Write, new AttributionClaim("carol", "carol@example.com")).AttributionReason);
        Assert.Equal(DenyReasons.AttributionUserNotFound, Eval(sa, "ml", "team-p", AccessAction.Write, new AttributionClaim("frank", null)).AttributionReason);
        Assert.Equal(DenyReasons.AttributionUserNotFound, Eval(sa, "ml", "team-p", AccessAction.Write, new AttributionClaim("gina", null)).AttributionReason);
    }

    [Fact]
    public void Attribution_NotEvaluated_WhenDenied()
    {
        _d.User("carol", "acme", teams: ("ml", TeamRole.Member));
        var decision = Eval(_d.TeamSa("ci", "cv", "acme"), "ml", "team-p", AccessAction.Write, new AttributionClaim("carol", null));
        Assert.False(decision.IsAllowed);
        Assert.Null(decision.AttributedUser);
    }

    [Fact]
    public void AttributionAlone_UsesTheDefaultEntity_ForRoutesWithoutProject()
    {
        _d.User("carol", "acme", teams: ("ml", TeamRole.Member));
        var orgSa = _d.OrgSa("bot", "cv", "acme");
        Assert.Null(AccessEvaluator.EvaluateAttribution(orgSa, null, default, _d, out _));
        Assert.Equal(DenyReasons.AttributionUserNotInTeam, AccessEvaluator.EvaluateAttribution(orgSa, null, new AttributionClaim("carol", null), _d, out var none));
        Assert.Null(none);
        Assert.Equal(DenyReasons.AttributionVerified, AccessEvaluator.EvaluateAttribution(orgSa, "ml", new AttributionClaim("carol", null), _d, out var carol));
        Assert.Equal("carol", carol?.Username);
        Assert.Equal(DenyReasons.AttributionVerified, AccessEvaluator.EvaluateAttribution(_d.TeamSa("ci", "ml", "acme"), null, new AttributionClaim("carol", null), _d, out _));
    }
}
