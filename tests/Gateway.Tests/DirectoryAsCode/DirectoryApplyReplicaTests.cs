using Gateway.Admin;
using Gateway.Diagnostics;
using Gateway.Directory;
using Gateway.DirectoryAsCode;
using Gateway.Keys;
using Gateway.Policy.Model;
using Gateway.Store;
using Gateway.Tests.Common;
using Xunit;

namespace Gateway.Tests.DirectoryAsCode;

/// <summary>
/// A plan made on a replica whose view another replica has since changed is made again on the current
/// view: the caller is checked again there too, so an admin demoted elsewhere a moment ago cannot
/// apply with the rights the stale view still shows.
/// </summary>
public sealed class DirectoryApplyReplicaTests
{
    private static readonly Organization Acme = new() { Name = "acme" };

    private static User Alice(OrgRole role) => new() { Id = "u_alice", Username = "alice", Email = "alice@acme.example", Org = "acme", OrgRole = role };

    [Fact]
    public void AnAdminDemotedOnAnotherReplica_CannotApplyThroughAStaleView()
    {
        var stale = new DirectoryData([Acme], [], [Alice(OrgRole.Admin), Alice(OrgRole.Member) with { Id = "u_bob", Username = "bob", Email = "bob@acme.example" }], [], [], [], false, [], Version: 1);
        // Since then, another replica demoted alice (and bob is now the admin).
        var current = stale with { Users = [Alice(OrgRole.Member), Alice(OrgRole.Admin) with { Id = "u_bob", Username = "bob", Email = "bob@acme.example" }], Version = 2 };
        var store = new SharedStore(current);
        var directory = new DirectoryService(store, new ApiKeyCache(10, 10), stale, null);
        var caller = new AdminCaller(Alice(OrgRole.Admin), "console", null, AdminCaller.ConsoleMethod);
        var document = new DirectoryDocument { Organization = "acme", Teams = [new TeamEntry("nlp")] };
        var now = DateTimeOffset.UnixEpoch;

        var previous = DirectoryService.WriterCheck.Value;
        try
        {
            AdminCallerCheck.Install(caller, store, TimeProvider.System);
            var refused = Assert.Throws<AdminProblemException>(() => directory.Write(d =>
            {
                var plan = DirectoryPlanner.Plan(document, d, store, caller, now, "cs");
                Assert.Empty(plan.Refusals);
                return (plan.ChangeSet, plan);
            }));

            Assert.Equal("caller_changed", refused.Problem.Code);
            Assert.Equal(0, store.Commits);
        }
        finally
        {
            DirectoryService.WriterCheck.Value = previous;
        }
    }

    private sealed class SharedStore(DirectoryData current) : EmptyStore
    {
        public int Commits { get; private set; }

        public override bool IsShared => true;

        public override long ReadVersion() => current.Version;

        public override DirectoryData LoadDirectory() => current;

        public override IDisposable LockWrites() => new Nothing();

        public override long Commit(ChangeSet changes, long? expectedVersion = null)
        {
            Commits++;
            return current.Version + 1;
        }

        private sealed class Nothing : IDisposable
        {
            public void Dispose()
            {
            }
        }
    }
}
