using Gateway.DirectoryAsCode;
using Xunit;

namespace Gateway.Tests.DirectoryAsCode;

/// <summary>YAML and JSON writing and reading: strings that YAML would read as something else are quoted, and both forms read back the same tree.</summary>
public sealed class DirectoryFormatTests
{
    [Theory]
    [InlineData("true")]
    [InlineData("null")]
    [InlineData("123")]
    [InlineData("1.5e3")]
    [InlineData("~")]
    [InlineData("- dash")]
    [InlineData("a: b")]
    [InlineData("#hash")]
    [InlineData("Zoë O'Brien")]
    [InlineData("Off")]
    [InlineData("quote \" and \\ backslash")]
    [InlineData("yes")]
    [InlineData(".inf")]
    public void ShownNames_SurviveYamlAndJson(string name)
    {
        var document = new DirectoryDocument
        {
            Organization = "acme",
            Teams = [new TeamEntry("ml")],
            Users = [new UserEntry { Username = "u1", Email = "u1@acme.example", Name = name, Teams = new SortedDictionary<string, string>(StringComparer.Ordinal) }],
        };

        var yaml = DirectoryFormat.Write(document, yaml: true);
        var json = DirectoryFormat.Write(document, yaml: false);
        var fromYaml = DirectoryFormat.Parse(yaml, yaml: true, out var yamlError);
        var fromJson = DirectoryFormat.Parse(json, yaml: false, out var jsonError);

        Assert.Null(yamlError);
        Assert.Null(jsonError);
        Assert.Equal(fromJson!.ToJsonString(), fromYaml!.ToJsonString());
        Assert.Equal(name, DirectoryFormat.Read(fromYaml).Users![0].Name);
        Assert.DoesNotContain($"name: {name}\n", yaml);
        Assert.Empty(DirectorySchema.Validate(fromYaml));
    }

    [Fact]
    public void PlainYamlScalars_AreTypedByTheCoreSchema_QuotedOnesAreStrings()
    {
        var tree = DirectoryFormat.Parse("a: 1\nb: \"1\"\nc: true\nd: 'true'\ne: ~\nf: 2.5\ng: text\n", yaml: true, out var error)!;

        Assert.Null(error);
        Assert.Equal("""{"a":1,"b":"1","c":true,"d":"true","e":null,"f":2.5,"g":"text"}""", tree.ToJsonString());
    }
}
