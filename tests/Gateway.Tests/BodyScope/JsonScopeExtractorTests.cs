using System.Text;
using Gateway.BodyScope;
using Gateway.Policy.Model;
using Xunit;

namespace Gateway.Tests.BodyScope;

public sealed class JsonScopeExtractorTests
{
    private static readonly BodyLimits Limits = new() { MaxBytes = 1 << 20, MaxDecompressedBytes = 1 << 20 };

    private static List<ScopeReference> Extract(string json) => JsonScopeExtractor.Extract(Encoding.UTF8.GetBytes(json), Limits, AccessAction.Write);

    [Fact]
    public void FindsProjectIdAtAnyDepth_AndInArrays()
    {
        var refs = Extract("""{"start": {"project_id": "ml/p1", "inputs": {"nested": {"project_id": "cv/p2"}}}, "batch": [{"req": {"project_id": "ml/p3"}}]}""");
        Assert.Equal([new ScopeReference("ml", "p1", AccessAction.Write), new ScopeReference("cv", "p2", AccessAction.Write), new ScopeReference("ml", "p3", AccessAction.Write)], refs);
    }

    [Theory]
    [InlineData("""{"project_id": "ml"}""", BodyScopeCodes.InvalidScope)]
    [InlineData("""{"project_id": "ml/a/b"}""", BodyScopeCodes.InvalidScope)]
    [InlineData("""{"project_id": "ml/.."}""", BodyScopeCodes.InvalidScope)]
    [InlineData("""{"project_id": 7}""", BodyScopeCodes.InvalidScope)]
    [InlineData("""{"start": {"project_id": "ml/ok", "project_id": "ml/restricted"}}""", BodyScopeCodes.DuplicateProperty)]
    [InlineData("""{"start": """, BodyScopeCodes.InvalidJson)]
    public void Refuses(string json, string code) => Assert.Equal(code, Assert.Throws<BodyScopeException>(() => Extract(json)).Code);
}
