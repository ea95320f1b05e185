using System.Text;
using System.Text.Json;
using Gateway.BodyScope;
using Xunit;

namespace Gateway.Tests.BodyScope;

/// <summary>
/// <see cref="JsonDuplicates"/> gives System.Text.Json's own answer (<c>AllowDuplicateProperties = false</c>)
/// on every document: written cases (escapes, depth, fingerprint twins, large objects) and random ones.
/// </summary>
public sealed class JsonDuplicatesTests
{
    [Theory]
    [InlineData("""{"a":1,"b":2}""", false)]
    [InlineData("""{"a":1,"a":2}""", true)]
    [InlineData("""{"a":1,"\u0061":2}""", true)]                       // the same name, escaped
    [InlineData("""{"x":[{"k":1},{"k":2,"k":3}]}""", true)]            // in an array, at depth
    [InlineData("""{"x":{"y":{"z":{"q":1,"q":1}}}}""", true)]
    [InlineData("""{"ab_ca":1,"ac_ba":2}""", false)]                   // one fingerprint (length, first, middle, last), two names
    [InlineData("""{"ab_ca":1,"ac_ba":2,"ab_ca":3}""", true)]
    [InlineData("""[1,"a",{"a":1},{"a":2}]""", false)]                 // the same name in two objects
    [InlineData("""{"":1,"":2}""", true)]
    [InlineData("""{"é":1,"\u00e9":2}""", true)]
    public void Detects_AsTheFrameworkDoes(string json, bool duplicate)
    {
        Assert.Equal(duplicate, FrameworkSaysDuplicate(json));
        using var document = JsonDocument.Parse(json);
        Assert.Equal(duplicate, JsonDuplicates.Any(document.RootElement));
    }

    [Fact]
    public void LargeObjects_AndRandomDocuments_AgreeWithTheFramework()
    {
        var random = new Random(61206);
        var names = new[] { "a", "b", "ab", "ba", "ab_ca", "ac_ba", "entity", "entityName", "\\u0061", "é", "\\u00e9", "x" };
        for (var round = 0; round < 2_000; round++)
        {
            var text = new StringBuilder();
            Write(text, random, names, 0, round % 50 == 0 ? 90 : 6);
            var json = text.ToString();
            using var document = JsonDocument.Parse(json);
            Assert.True(FrameworkSaysDuplicate(json) == JsonDuplicates.Any(document.RootElement), json);
        }
    }

    private static void Write(StringBuilder text, Random random, string[] names, int depth, int width)
    {
        if (depth > 3 || random.Next(4) == 0)
        {
            text.Append(random.Next(100));
            return;
        }

        if (random.Next(3) == 0)
        {
            text.Append('[');
            for (var i = random.Next(3); i > 0; i--)
            {
                Write(text, random, names, depth + 1, width);
                text.Append(i > 1 ? "," : "");
            }

            text.Append(']');
            return;
        }

        text.Append('{');
        var count = random.Next(width);
        for (var i = 0; i < count; i++)
        {
            // Mostly distinct generated names (so large objects are mostly free of duplicates), sometimes a shared one.
            var name = random.Next(4) == 0 ? names[random.Next(names.Length)] : $"n{random.Next(1000)}";
            text.Append('"').Append(name).Append("\":");
            Write(text, random, names, depth + 1, width);
            text.Append(i < count - 1 ? "," : "");
        }

        text.Append('}');
    }

    private static bool FrameworkSaysDuplicate(string json)
    {
        try
        {
            using var _ = JsonDocument.Parse(json, new JsonDocumentOptions { AllowDuplicateProperties = false });
            return false;
        }
        catch (JsonException)
        {
            return true;
        }
    }
}
