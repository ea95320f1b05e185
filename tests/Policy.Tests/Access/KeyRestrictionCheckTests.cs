using System.Net;
using Gateway.Policy.Access;
using Gateway.Policy.Model;
using Xunit;

namespace Policy.Tests.Access;

/// <summary>A key's restrictions on their own: which one refuses what, and that none widens anything.</summary>
public sealed class KeyRestrictionCheckTests
{
    private static KeyRestrictions Projects(params string[] patterns)
        => new() { Projects = [.. patterns.Select(p => ProjectPattern.TryParse(p, out var parsed) ? parsed : throw new ArgumentException(p))] };

    [Fact]
    public void NoRestrictions_RefuseNothing()
    {
        foreach (var action in Enum.GetValues<AccessAction>())
        {
            Assert.Null(KeyRestrictionCheck.Check(null, "ml", "p", action));
            Assert.Null(KeyRestrictionCheck.Check(new KeyRestrictions(), "ml", null, action));
            Assert.Null(KeyRestrictionCheck.CheckUnscoped(new KeyRestrictions(), action));
        }

        Assert.True(new KeyRestrictions().IsEmpty);
        Assert.True(KeyRestrictionCheck.AllowsAddress(new KeyRestrictions(), null));
    }

    [Theory]
    [InlineData(AccessAction.Read, null)]
    [InlineData(AccessAction.Write, "access")]
    [InlineData(AccessAction.Manage, "access")]
    public void ReadOnly_RefusesAllButReads(AccessAction action, string? refused)
    {
        var readOnly = new KeyRestrictions { Access = KeyAccess.Read };
        Assert.Equal(refused, KeyRestrictionCheck.Check(readOnly, "ml", "p", action));
        Assert.Equal(refused, KeyRestrictionCheck.CheckUnscoped(readOnly, action));
        Assert.True(readOnly.LimitsData);
    }

    [Theory]
    [InlineData("ml", "p", null)]
    [InlineData("ml", "q", "projects")]
    [InlineData("ml", null, "projects")] // an entity-wide request needs entity/*
    [InlineData("ML", "p", "projects")] // names compare exactly
    [InlineData("ml", "P", "projects")]
    [InlineData("cv", "anything", null)]
    [InlineData("cv", null, null)]
    [InlineData("cvx", "p", "projects")]
    public void Projects_CoverExactNamesAndWholeEntities(string entity, string? project, string? refused)
    {
        var restrictions = Projects("ml/p", "cv/*");
        Assert.Equal(refused, KeyRestrictionCheck.Check(restrictions, entity, project, AccessAction.Write));
        // A request that names no project may read, and may not write (nothing would keep the write in the listed projects).
        Assert.Null(KeyRestrictionCheck.CheckUnscoped(restrictions, AccessAction.Read));
        Assert.Equal("projects", KeyRestrictionCheck.CheckUnscoped(restrictions, AccessAction.Write));
    }

    [Theory]
    [InlineData("ml/p", true)]
    [InlineData("ml/*", true)]
    [InlineData("ml", false)]
    [InlineData("/p", false)]
    [InlineData("ml/", false)]
    [InlineData("ml/p/q", false)]
    [InlineData(null, false)]
    public void Patterns_Parse(string? text, bool valid)
    {
        Assert.Equal(valid, ProjectPattern.TryParse(text, out var pattern));
        if (valid)
        {
            Assert.Equal(text, pattern.ToString());
        }
    }

    [Theory]
    [InlineData("10.1.2.3", true)]
    [InlineData("::ffff:10.1.2.3", true)] // an IPv4 client on a dual-stack socket
    [InlineData("11.0.0.1", false)]
    [InlineData("fd00::1", true)]
    [InlineData("fe80::1", false)]
    public void Networks_ContainTheClient(string client, bool allowed)
    {
        var restrictions = new KeyRestrictions { AllowedNetworks = [IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("fd00::/8")] };
        Assert.Equal(allowed, KeyRestrictionCheck.AllowsAddress(restrictions, IPAddress.Parse(client)));
        Assert.False(KeyRestrictionCheck.AllowsAddress(restrictions, null));
        Assert.False(restrictions.LimitsData);
    }
}
