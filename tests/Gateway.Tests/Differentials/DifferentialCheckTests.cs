using System.Security.Cryptography;
using System.Text;
using Gateway.BodyScope;
using Gateway.Keys;
using Gateway.Policy.Directory;
using Gateway.Routing;
using Xunit;

namespace Gateway.Tests.Differentials;

/// <summary>The small checks behind "read every request as the upstream will", one class at a time.</summary>
public sealed class DifferentialCheckTests
{
    [Theory]
    [InlineData("Project_Id", "project_id", true)]
    [InlineData("PROJECT_ID", "project_id", true)]
    [InlineData("project_id", "project_id", false)]   // the name itself is not a variant
    [InlineData("variable\u017F", "variables", true)] // long s folds to s (Go's bytes.EqualFold)
    [InlineData("\u212Aey", "key", true)]             // Kelvin sign folds to k
    [InlineData("project-id", "project_id", false)]
    [InlineData("project_i", "project_id", false)]
    [InlineData("projectid", "project_id", false)]
    [InlineData("pr\u00F6ject_id", "project_id", false)]
    public void PropertyFolding_MatchesGoSimpleFolding(string name, string known, bool variant)
    {
        Assert.Equal(variant, PropertyFolding.IsVariantOf(name, known));
        Assert.Equal(variant, PropertyFolding.IsVariantOf(Encoding.UTF8.GetBytes(name), known));
    }

    [Theory]
    [InlineData("{\"a\":\"\\ud83d\\ude00\"}", true)]
    [InlineData("{\"a\":\"\\uD83D\\uDE00\"}", true)]
    [InlineData("{\"a\":\"\\\\ud800\"}", true)]        // an escaped backslash followed by text "ud800"
    [InlineData("{\"a\":\"\\\\\\ud83d\\ude00\"}", true)]
    [InlineData("{\"a\":\"\\u0041\\n\\t\"}", true)]
    [InlineData("{\"a\":\"\\ud800\"}", false)]
    [InlineData("{\"a\":\"\\udfff\"}", false)]
    [InlineData("{\"a\":\"\\ud800\\n\"}", false)]
    [InlineData("{\"a\":\"\\ud800\\u0041\"}", false)]
    [InlineData("{\"a\":\"\\ud800\\ud800\"}", false)]
    [InlineData("{\"a\":\"\\\\\\ud800\"}", false)]      // escaped backslash, then a real lone escape
    [InlineData("{\"a\\udc00\":1}", false)]
    [InlineData("\"\\ud800", false)]                     // truncated at the end
    public void Utf8Body_RefusesLoneSurrogateEscapes(string json, bool valid)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        if (valid)
        {
            Utf8Body.Check(bytes);
        }
        else
        {
            var ex = Assert.Throws<BodyScopeException>(() => Utf8Body.Check(bytes));
            Assert.Equal(400, ex.Status);
        }
    }

    /// <summary>
    /// The escape check jumps between <c>\u</c> occurrences and counts the backslashes before each; the
    /// reference walks every escape from the left. Both must refuse exactly the same bodies, on inputs
    /// dense in backslashes, <c>u</c>s and surrogate hex digits (a fixed seed: the same cases every run).
    /// </summary>
    [Fact]
    public void Utf8Body_EscapeCheck_AgreesWithAnEscapeByEscapeWalk()
    {
        // Pieces of escapes as well as whole ones, so that backslash runs, split escapes and pairs all occur.
        string[] pieces = ["\\", "\\u", "\\ud83d", "\\uD800", "\\ude00", "\\uDFFF", "\\u0041", "\\n", "u", "d83d", "DC00", "0", "x", "\""];
        var random = new Random(1616);
        var refused = 0;
        for (var n = 0; n < 50_000; n++)
        {
            var builder = new StringBuilder();
            for (var i = random.Next(0, 10); i > 0; i--)
            {
                builder.Append(pieces[random.Next(pieces.Length)]);
            }

            var text = builder.ToString();
            var bytes = Encoding.ASCII.GetBytes(text);
            var expected = ReferenceRefuses(bytes);
            var actual = false;
            try
            {
                Utf8Body.CheckEscapes(bytes);
            }
            catch (BodyScopeException)
            {
                actual = true;
            }

            Assert.True(expected == actual, $"'{text}': reference {(expected ? "refuses" : "accepts")}");
            refused += expected ? 1 : 0;
        }

        // The generator must reach both answers often, or the comparison proves little.
        Assert.InRange(refused, 2_000, 48_000);
    }

    // The former check: from one backslash to the next, skipping each escape's second character.
    private static bool ReferenceRefuses(byte[] body)
    {
        static int Hex(byte[] b, int at)
        {
            if (at + 4 > b.Length)
            {
                return -1;
            }

            var value = 0;
            for (var k = at; k < at + 4; k++)
            {
                var digit = "0123456789abcdef".IndexOf(char.ToLowerInvariant((char)b[k]), StringComparison.Ordinal);
                if (digit < 0)
                {
                    return -1;
                }

                value = (value << 4) | digit;
            }

            return value;
        }

        for (var i = 0; i < body.Length - 1; i++)
        {
            if (body[i] != '\\')
            {
                continue;
            }

            if (body[i + 1] == 'u' && Hex(body, i + 2) is var unit and >= 0)
            {
                if (unit is >= 0xDC00 and <= 0xDFFF)
                {
                    return true;
                }

                if (unit is >= 0xD800 and <= 0xDBFF)
                {
                    if (i + 7 >= body.Length || body[i + 6] != '\\' || body[i + 7] != 'u' || Hex(body, i + 8) is < 0xDC00 or > 0xDFFF)
                    {
                        return true;
                    }

                    i += 11;
                    continue;
                }

                i += 5;
                continue;
            }

            i += 1;
        }

        return false;
    }

    [Fact]
    public void ImportedKeyStrength_RandomKeysPass_PatternsFail()
    {
        const string base62 = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        // Random keys of both alphabets pass (the thresholds sit far below what 200 000 simulated ones
        // reached); seeded, so the run is the same every time.
        var random = new Random(18);
        for (var i = 0; i < 2000; i++)
        {
            Assert.True(ImportedKeyStrength.IsStrong(random.GetString(base62, 40)));
            Assert.True(ImportedKeyStrength.IsStrong(random.GetString("0123456789abcdef", 40)));
        }

        foreach (var weak in new[]
        {
            new string('a', 40), string.Concat(Enumerable.Repeat("ab", 20)), string.Concat(Enumerable.Repeat("0123456789", 4)),
            string.Concat(Enumerable.Repeat("abcdefghijklmnop", 2)) + "abcdefgh", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
            "0000000000000000000000000000001234567890",
        })
        {
            Assert.False(ImportedKeyStrength.IsStrong(weak), weak);
        }
    }

    [Theory]
    [InlineData("/a/b/c", true)]
    [InlineData("/a/...b/c", true)]
    [InlineData("/a/.../c", true)]
    [InlineData("/a/b.json", true)]
    [InlineData("/a/..;/c", false)]
    [InlineData("/a/b;x=1/c", false)]
    [InlineData("/a/b%3Bx/c", false)]
    [InlineData("/a/b%3bx/c", false)]
    [InlineData("/a/b%253bx/c", false)]
    [InlineData("/a/%2e%2e/c", false)]
    [InlineData("/a/%252E%252e/c", false)]
    [InlineData("/a/%u002e/c", false)]
    [InlineData("/a/.%2e/c", false)]
    [InlineData("/a/b%00/c", false)]
    [InlineData("/a//c", false)]
    [InlineData("/a/b\\c", false)]
    public void RawPath_RefusesParametersAndEveryDotSpelling(string path, bool unambiguous)
        => Assert.Equal(unambiguous, RawPath.IsUnambiguous(path));

    [Theory]
    [InlineData("multipart/form-data; boundary=AAA", "AAA")]
    [InlineData("multipart/form-data; boundary=\"A A\"", "A A")]
    [InlineData("multipart/form-data;boundary=AAA;charset=utf-8", "AAA")]
    public void Boundary_OneParameter(string contentType, string boundary)
        => Assert.Equal(boundary, MultipartScopeExtractor.Boundary(contentType));

    [Theory]
    [InlineData("multipart/form-data; boundary=AAA; boundary=BBB", "ambiguous_multipart")]
    [InlineData("multipart/form-data; boundary=AAA; BOUNDARY=AAA", "ambiguous_multipart")]
    [InlineData("multipart/form-data; boundary*=utf-8''AAA", "invalid_multipart")]
    [InlineData("multipart/form-data", "invalid_multipart")]
    [InlineData("multipart/form-data; boundary=\"AAA", "invalid_multipart")]
    [InlineData("multipart/form-data; boundary=", "invalid_multipart")]
    public void Boundary_RefusesTwoOrNone(string contentType, string code)
        => Assert.Equal(code, Assert.Throws<BodyScopeException>(() => MultipartScopeExtractor.Boundary(contentType)).Code);

    [Theory]
    [InlineData("form-data; name=\"project_id\"", "project_id", false)]
    [InlineData("form-data; name=project_id", "project_id", false)]
    [InlineData("Form-Data; NAME=\"file\"; filename=\"a;b.txt\"", "file", true)]
    [InlineData("form-data; name=\"file\"; filename*=UTF-8''a.txt", "file", true)]
    public void FormDisposition_OnePlainName(string header, string name, bool file)
        => Assert.Equal(new FormDisposition(name, file), FormDisposition.Parse(header));

    [Theory]
    [InlineData("form-data; name=\"a\"; name=\"b\"")]
    [InlineData("form-data; name*=UTF-8''a")]
    [InlineData("form-data; filename=\"a\"")]
    [InlineData("inline; name=\"a\"")]
    [InlineData("form-data; name=\"a\\\"b\"")]
    public void FormDisposition_RefusesAmbiguousNames(string header)
        => Assert.Equal("ambiguous_multipart", Assert.Throws<BodyScopeException>(() => FormDisposition.Parse(header)).Code);

    [Theory]
    [InlineData("key one", true)]
    [InlineData("clé été", true)]
    [InlineData("日本語", true)]
    [InlineData("\u202Eevil", false)]
    [InlineData("a\u200Bb", false)]
    [InlineData("a\u200Eb", false)]
    [InlineData("a\u2066b", false)]
    [InlineData("a\u00A0b", false)]
    [InlineData("a\uE000b", false)]
    [InlineData("a\u0085b", false)]
    [InlineData("a\u007Fb", false)]
    [InlineData(" lead", false)]
    [InlineData("\uD83D\uDE00", false)] // surrogates (emoji) stay refused, as before
    public void Labels_PrintAsThemselves(string label, bool valid)
        => Assert.Equal(valid, Names.IsValidLabel(label));

    [Theory]
    [InlineData("weave:///ml/p/op/predict:v1", "ml/p")]
    [InlineData("see weave:///ml/p/op/a and wandb-artifact:///cv/q/model:v2", "ml/p,cv/q")]
    [InlineData("{\"ref\": \"weave:///ml/p/object/x:1\"}", "ml/p")]
    [InlineData("xweave:///ml/p/op/a", "ml/p")]                 // over-approximated: a ref inside any text
    [InlineData("weave://ml/p/op/a", "")]                        // two slashes: not a ref
    [InlineData("weave-trace-internal://abc", "")]
    [InlineData("https://example.com/a/b", "")]
    [InlineData("weave:///ml/p/op/a weave:///ml/p/op/b weave:///ml/p/op/c", "ml/p")] // repeats collapse
    public void WeaveRefScan_FindsEveryRef(string text, string expected)
    {
        var found = new List<ScopeReference>();
        Gateway.Weave.WeaveRefs.Scan(text, found);
        Assert.Equal(expected, string.Join(",", found.Select(r => r.Entity + "/" + r.Project)));
        Assert.All(found, r => Assert.Equal(Gateway.Policy.Model.AccessAction.Read, r.Action));
    }

    [Theory]
    [InlineData("WEAVE:///ml/p/op/a")]
    [InlineData("Wandb-Artifact:///ml/p/x")]
    [InlineData("weave-trace-internal:///UHJvamVjdDox/object/a:1")]
    [InlineData("Weave-Private://abc")]
    [InlineData("ok weave:///ml/p/op/a then weave-private://x")]
    [InlineData("weave:///ml")]
    [InlineData("weave:///ml/p%2Fx/op/a")]
    [InlineData("weave:///ML/p/op/a")]
    public void WeaveRefScan_RefusesOpaqueMalformedAndUppercase(string text)
        => Assert.Equal("invalid_ref", Assert.Throws<BodyScopeException>(() => Gateway.Weave.WeaveRefs.Scan(text, [])).Code);
}
