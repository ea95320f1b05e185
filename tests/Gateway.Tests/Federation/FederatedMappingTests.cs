using Gateway.Directory;
using Gateway.Federation;
using Gateway.Policy.Model;
using Gateway.Store;
using Xunit;

namespace Gateway.Tests.Federation;

/// <summary>An issuer produces principals of its own organization only, on the exact (issuer, subject).</summary>
public sealed class FederatedMappingTests
{
    private static readonly TrustedIssuer AcmeIdp = new() { Url = "https://idp.acme.example", Org = "acme", Audiences = ["acme"], Algorithms = ["RS256"] };
    private static readonly TrustedIssuer OtherIdp = new() { Url = "https://idp.other.example", Org = "other", Audiences = ["other"], Algorithms = ["RS256"] };

    private static DirectorySnapshot Snapshot()
    {
        var changes = new ChangeSet()
            .Put(new Organization { Name = "acme" }).Put(new Organization { Name = "other" })
            .Put(new Team { Name = "ml", Org = "acme" }).Put(new Team { Name = "ops", Org = "other" })
            .Put(AcmeIdp).Put(OtherIdp)
            .Put(new User { Id = "u1", Username = "alice", Email = "alice@acme.example", Org = "acme" })
            .Put(new User { Id = "u2", Username = "mallory", Email = "mallory@other.example", Org = "other" })
            .Put(new ServiceAccount { Id = "s1", Name = "ci", Org = "acme", Team = "ml", Scope = ServiceAccountScope.Team, Authentication = AuthenticationKind.Federated, Issuer = AcmeIdp.Url, Subject = "repo:ci" })
            .Put(new ServiceAccount { Id = "s2", Name = "ci", Org = "other", Team = "ops", Scope = ServiceAccountScope.Team, Authentication = AuthenticationKind.Federated, Issuer = OtherIdp.Url, Subject = "repo:ci" });
        return DirectorySnapshot.Empty.Apply(changes);
    }

    [Fact]
    public void MapsTheExactPair_ToTheAccountOfTheIssuersOrganization()
    {
        var d = Snapshot();
        Assert.True(FederatedMapping.TryMap(d, AcmeIdp, "repo:ci", out var acme));
        Assert.Equal("s1", acme.Id);
        Assert.True(FederatedMapping.TryMap(d, OtherIdp, "repo:ci", out var other));
        Assert.Equal("s2", other.Id);
        Assert.False(FederatedMapping.TryMap(d, AcmeIdp, "REPO:CI", out _));
        Assert.False(FederatedMapping.TryMap(d, AcmeIdp, "repo:ci ", out _));
    }

    [Fact]
    public void People_MapOnEmail_WithinTheIssuersOrganizationOnly()
    {
        var d = Snapshot();
        Assert.True(FederatedMapping.TryMap(d, AcmeIdp, "alice@acme.example", out var alice));
        Assert.Equal("u1", alice.Id);
        // Another organization's issuer naming an acme user's email gets nobody.
        Assert.False(FederatedMapping.TryMap(d, OtherIdp, "alice@acme.example", out _));
        Assert.False(FederatedMapping.TryMap(d, AcmeIdp, "mallory@other.example", out _));
        Assert.False(FederatedMapping.TryMap(d, AcmeIdp, "ALICE@acme.example", out _));
    }

    [Fact]
    public void AStoredPair_NeedsItsIssuerStillRegistered()
    {
        var d = Snapshot();
        Assert.True(FederatedMapping.TryMap(d, AcmeIdp.Url, "repo:ci", out _));
        var removed = d.Apply(new ChangeSet().Remove(AcmeIdp));
        Assert.False(FederatedMapping.TryMap(removed, AcmeIdp.Url, "repo:ci", out _));
        Assert.False(FederatedMapping.TryMap(d, (string?)null, "repo:ci", out _));
    }
}
