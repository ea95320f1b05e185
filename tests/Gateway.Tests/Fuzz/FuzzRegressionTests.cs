using Gateway.Fuzz;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.Fuzz;

/// <summary>
/// Every seed and every crash the fuzzers ever found (fuzz/corpus, fuzz/crashes) runs through the
/// same targets, uninstrumented: a crash found once can never come back unnoticed.
/// </summary>
public sealed class FuzzRegressionTests
{
    public static TheoryData<string, string> Inputs()
    {
        var data = new TheoryData<string, string>();
        var root = Path.Combine(RepositoryRoot.Find(), "fuzz");
        foreach (var folder in new[] { "corpus", "crashes" })
        {
            var dir = Path.Combine(root, folder);
            if (!System.IO.Directory.Exists(dir))
            {
                continue;
            }

            foreach (var file in System.IO.Directory.GetFiles(dir, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                data.Add(Path.GetFileName(Path.GetDirectoryName(file))!, Path.GetRelativePath(root, file));
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Inputs))]
    public void ReplaysWithoutCrashing(string target, string file)
        => FuzzTargets.All[target](File.ReadAllBytes(Path.Combine(RepositoryRoot.Find(), "fuzz", file)));

    [Fact]
    public void EveryTargetHasASeedCorpus()
    {
        foreach (var target in FuzzTargets.All.Keys)
        {
            Assert.NotEmpty(System.IO.Directory.GetFiles(Path.Combine(RepositoryRoot.Find(), "fuzz", "corpus", target)));
        }
    }
}
