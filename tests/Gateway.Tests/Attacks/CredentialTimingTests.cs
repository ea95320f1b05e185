using System.Diagnostics;
using Gateway.Abuse;
using Gateway.Authentication;
using Gateway.Configuration;
using Gateway.Directory;
using Gateway.Keys;
using Gateway.Policy.Model;
using Gateway.Store;
using Gateway.Tests.Common;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Gateway.Tests.Attacks;

/// <summary>
/// An unknown key id and a known key id with a wrong secret must not be told apart by time: both
/// are looked up by the hash of the whole key, never by id. Measured on the real authenticator over
/// a real LiteDB store, interleaved, and compared as distributions (median and p90).
/// </summary>
[Collection(RunAlone.Name)]
public sealed class CredentialTimingTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void UnknownKeyId_AndKnownKeyIdWithAWrongSecret_TakeTheSameTime()
    {
        using var dir = new TempDirectory();
        using var store = new LiteDbGatewayStore(dir.File("gateway.db"));
        var format = new ApiKeyFormat("gw");
        var user = new User { Id = "u_1", Username = "alice", Email = "alice@acme.example", Org = "acme" };
        var changes = new ChangeSet().Put(new Organization { Name = "acme" }).Put(user);
        var known = new List<string>();
        for (var i = 0; i < 2000; i++)
        {
            var (id, key) = format.Mint(ApiKeyFormatKind.Standard);
            changes.Put(new ApiKey { KeyId = id, Hash = KeyHash.Of(key).ToArray(), OwnerId = user.Id, Name = "k", Format = ApiKeyFormatKind.Standard });
            known.Add(key);
        }

        store.Commit(changes);
        var cache = new ApiKeyCache(10_000, 10_000);
        var authenticator = TestAuthenticators.Keys(store, cache,
            new LimitsOptions { FailedAuthenticationsPerSecond = 10_000_000, FailedAuthenticationsPerKeyId = 1_000_000 }, TimeProvider.System);

        var unknown = new List<double>();
        var wrongSecret = new List<double>();
        for (var i = 0; i < 4000; i++)
        {
            // Fresh keys every time (nothing from the negative cache), both with valid checksums.
            var a = format.Mint(ApiKeyFormatKind.Standard).Key;
            var b = TestKeys.SameIdOtherSecret(known[i % known.Count]);
            var (first, second) = i % 2 == 0 ? (a, b) : (b, a);
            var t1 = Measure(authenticator, first);
            var t2 = Measure(authenticator, second);
            (i % 2 == 0 ? unknown : wrongSecret).Add(t1);
            (i % 2 == 0 ? wrongSecret : unknown).Add(t2);
        }

        // The first samples warm the JIT and the store's pages.
        unknown.RemoveRange(0, 500);
        wrongSecret.RemoveRange(0, 500);
        var (um, u90) = Percentiles(unknown);
        var (wm, w90) = Percentiles(wrongSecret);
        output.WriteLine($"unknown key id: median {um:F1} µs, p90 {u90:F1} µs; known id, wrong secret: median {wm:F1} µs, p90 {w90:F1} µs ({unknown.Count} samples each)");
        Assert.InRange(wm / um, 0.75, 1.33);
        Assert.InRange(w90 / u90, 0.7, 1.43);
    }

    private static double Measure(ApiKeyAuthenticator authenticator, string key)
    {
        var start = Stopwatch.GetTimestamp();
        var result = authenticator.Authenticate(key, null);
        var elapsed = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        Assert.Equal(AuthenticationReasons.KeyUnknown, result.FailureReason);
        return elapsed;
    }

    private static (double Median, double P90) Percentiles(List<double> samples)
    {
        var sorted = samples.Order().ToList();
        return (sorted[sorted.Count / 2], sorted[(int)(sorted.Count * 0.9)]);
    }
}
