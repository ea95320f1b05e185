using Gateway.Policy.Directory;
using Xunit;

namespace Policy.Tests.Directory;

public sealed class NamesTests
{
    [Theory]
    [InlineData("acme", true)]
    [InlineData("ml-team_2", true)]
    [InlineData("0day", true)]
    [InlineData("Acme", false)]
    [InlineData("-acme", false)]
    [InlineData("_acme", false)]
    [InlineData("ac me", false)]
    [InlineData("acme.", false)]
    [InlineData("acmé", false)]
    [InlineData("", false)]
    [InlineData("a%2Fb", false)]
    public void ValidatesEntityNames(string name, bool valid) => Assert.Equal(valid, Names.IsValidEntity(name));

    [Fact]
    public void EntityNames_HaveAMaximumLength()
    {
        Assert.True(Names.IsValidEntity(new string('a', 64)));
        Assert.False(Names.IsValidEntity(new string('a', 65)));
    }

    [Theory]
    [InlineData("resnet", true)]
    [InlineData("ResNet-50_v1.2", true)]
    [InlineData(".", false)]
    [InlineData("..", false)]
    [InlineData(".hidden", false)]
    [InlineData("a/b", false)]
    [InlineData("a\\b", false)]
    [InlineData("a;b", false)]
    [InlineData("a%2e", false)]
    [InlineData("", false)]
    public void ValidatesProjectNames(string name, bool valid) => Assert.Equal(valid, Names.IsValidProject(name));

    [Theory]
    [InlineData("a@b.c", true)]
    [InlineData("first.last+tag@example.com", true)]
    [InlineData("a@@b", false)]
    [InlineData("@b", false)]
    [InlineData("a@", false)]
    [InlineData("a b@c", false)]
    [InlineData("a@b@c", false)]
    public void ValidatesEmails(string email, bool valid) => Assert.Equal(valid, Names.IsValidEmail(email));

    [Theory]
    [InlineData("ci key", true)]
    [InlineData(" padded", false)]
    [InlineData("bad\nline", false)]
    [InlineData("", false)]
    public void ValidatesLabels(string label, bool valid) => Assert.Equal(valid, Names.IsValidLabel(label));
}
