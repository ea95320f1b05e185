using System.Collections.Immutable;
using System.Diagnostics;
using System.Text;
using Gateway.Keys;
using Gateway.Policy.Model;
using Gateway.Store;

namespace Gateway.LoadTests;

/// <summary>One key the load generator uses: its Authorization header and a project its owner may write.</summary>
internal sealed record LoadKey(string Authorization, string Entity, string Project);

internal sealed record SeedResult(string StorePath, IReadOnlyList<LoadKey> Rotating, IReadOnlyList<string> Invalid, IReadOnlyList<LoadKey> AccessTokens, TimeSpan Elapsed, LookupStats Lookup);

internal sealed record LookupStats(int Samples, double P50Microseconds, double P99Microseconds, double MaxMicroseconds);

/// <summary>
/// Builds a fresh store with N keys directly through the gateway's own store code: 4 organizations,
/// 25 teams each with a project of every visibility, users who are team members, a team SA per
/// team, an org SA and an explicit SA with grants per organization. Keys are spread over all of them;
/// the first R (rotating) are written for the load generator with a project their owner may write.
/// Each organization also trusts an issuer, and every user holds exchanged access tokens (as
/// <c>POST /oidc/token</c> mints them, mapped on the user's email), for the Bearer scenario.
/// </summary>
internal static class Seeder
{
    private const int Orgs = 4;
    private const int TeamsPerOrg = 25;
    private const int UsersPerOrg = 250;
    private static readonly ApiKeyFormat Format = new("gw");
    private static readonly AccessTokenFormat TokenFormat = new("gw");

    public static SeedResult Seed(string directory, int keyCount, int rotatingCount)
    {
        var watch = Stopwatch.StartNew();
        System.IO.Directory.CreateDirectory(directory);
        var storePath = Path.Combine(directory, "gateway.db");
        foreach (var file in System.IO.Directory.GetFiles(directory, "gateway*"))
        {
            File.Delete(file);
        }

        var now = DateTimeOffset.FromUnixTimeMilliseconds(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var owners = new List<(Principal Owner, string Entity, string Project)>();
        var directoryChanges = new ChangeSet();
        for (var o = 0; o < Orgs; o++)
        {
            var org = $"org{o}";
            directoryChanges.Put(new Organization { Name = org, CreatedAt = now });
            directoryChanges.Put(new TrustedIssuer { Url = $"https://idp.{org}.example", Org = org, Audiences = [org], Algorithms = ["RS256"], CreatedAt = now });
            var explicitSa = new ServiceAccount { Id = $"sa_x{o}", Name = "neptune", Org = org, Scope = ServiceAccountScope.Organization, Team = $"t{o}-0", Access = AccessMode.Explicit, CreatedAt = now };
            var orgSa = new ServiceAccount { Id = $"sa_o{o}", Name = "bot", Org = org, Scope = ServiceAccountScope.Organization, Team = $"t{o}-0", CreatedAt = now };
            directoryChanges.Put(explicitSa).Put(orgSa);
            for (var t = 0; t < TeamsPerOrg; t++)
            {
                var team = $"t{o}-{t}";
                directoryChanges.Put(new Team { Name = team, Org = org, CreatedAt = now });
                foreach (var visibility in Enum.GetValues<Visibility>())
                {
                    directoryChanges.Put(new Project { Entity = team, Name = "p-" + Wire.Of(visibility), Visibility = visibility, CreatedAt = now });
                }

                directoryChanges.Put(new ProjectGrant { PrincipalId = explicitSa.Id, Project = new ProjectKey(team, "p-team"), Role = ProjectRole.Contributor });
                var teamSa = new ServiceAccount { Id = $"sa_t{o}_{t}", Name = "ci", Org = org, Scope = ServiceAccountScope.Team, Team = team, CreatedAt = now };
                directoryChanges.Put(teamSa);
                owners.Add((teamSa, team, "p-team"));
                owners.Add((orgSa, team, "p-team"));
                owners.Add((explicitSa, team, "p-team"));
            }

            for (var u = 0; u < UsersPerOrg; u++)
            {
                var team = $"t{o}-{u % TeamsPerOrg}";
                var user = new User
                {
                    Id = $"u_{o}_{u}", Username = $"user{o}-{u}", Email = $"user{o}-{u}@org{o}.example", Org = org, CreatedAt = now,
                    Teams = ImmutableDictionary<string, TeamRole>.Empty.Add(team, TeamRole.Member),
                };
                directoryChanges.Put(user);
                owners.Add((user, team, u % 2 == 0 ? "p-team" : "p-open"));
            }
        }

        using var store = new LiteDbGatewayStore(storePath);
        store.Commit(directoryChanges);

        var rotating = new List<LoadKey>(rotatingCount);
        var hashes = new List<KeyHash>(Math.Min(keyCount, 50_000));
        var batch = new ChangeSet();
        var inBatch = 0;
        for (var i = 0; i < keyCount; i++)
        {
            var (owner, entity, project) = owners[i % owners.Count];
            var (keyId, key) = Format.Mint(ApiKeyFormatKind.Standard);
            var hash = KeyHash.Of(key);
            batch.Put(new ApiKey { KeyId = keyId, Hash = hash.ToArray(), OwnerId = owner.Id, Name = $"load-{i}", Format = ApiKeyFormatKind.Standard, CreatedAt = now });
            if (i < rotatingCount)
            {
                rotating.Add(new LoadKey("Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes("api:" + key)), entity, project));
            }

            if (hashes.Count < 50_000)
            {
                hashes.Add(hash);
            }

            if (++inBatch == 20_000)
            {
                store.Commit(batch);
                batch = new ChangeSet();
                inBatch = 0;
            }
        }

        store.Commit(batch);
        var lookup = MeasureUncachedLookups(store, hashes);
        var tokens = SeedAccessTokens(store, owners, rotatingCount, now);

        // Well-formed (valid checksum) but unknown keys: they pass the shape check and reach the store.
        var invalid = Enumerable.Range(0, Math.Max(100, rotatingCount))
            .Select(_ => "Basic " + Convert.ToBase64String(Encoding.ASCII.GetBytes("api:" + Format.Mint(ApiKeyFormatKind.Standard).Key)))
            .ToList();
        return new SeedResult(storePath, rotating, invalid, tokens, watch.Elapsed, lookup);
    }

    private static List<LoadKey> SeedAccessTokens(LiteDbGatewayStore store, List<(Principal Owner, string Entity, string Project)> owners, int count, DateTimeOffset now)
    {
        var users = owners.Where(o => o.Owner is User).ToList();
        var tokens = new List<LoadKey>(count);
        var changes = new ChangeSet();
        for (var i = 0; i < count; i++)
        {
            var (owner, entity, project) = users[i % users.Count];
            var user = (User)owner;
            var (id, token) = TokenFormat.Mint();
            changes.Put(new ApiKey
            {
                KeyId = id, Hash = KeyHash.Of(token).ToArray(), OwnerId = user.Id, Name = "token exchange", Format = ApiKeyFormatKind.AccessToken,
                CreatedAt = now, ExpiresAt = now.AddDays(1), Issuer = $"https://idp.{user.Org}.example", Subject = user.Email,
            });
            tokens.Add(new LoadKey("Bearer " + token, entity, project));
        }

        store.Commit(changes);
        return tokens;
    }

    // Straight to the store, no cache in front: what a cache miss costs with this many keys.
    private static LookupStats MeasureUncachedLookups(LiteDbGatewayStore store, List<KeyHash> hashes)
    {
        var random = new Random(7);
        var samples = new List<double>(20_000);
        for (var i = 0; i < 1_000; i++)
        {
            store.FindKeyByHash(hashes[random.Next(hashes.Count)]);
        }

        for (var i = 0; i < 20_000; i++)
        {
            var hash = i % 2 == 0 ? hashes[random.Next(hashes.Count)] : KeyHash.Of("missing-" + i);
            var start = Stopwatch.GetTimestamp();
            store.FindKeyByHash(hash);
            samples.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }

        samples.Sort();
        return new LookupStats(samples.Count, samples[samples.Count / 2], samples[(int)(samples.Count * 0.99)], samples[^1]);
    }
}
