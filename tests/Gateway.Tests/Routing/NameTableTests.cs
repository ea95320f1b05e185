using Gateway.Routing;
using Xunit;

namespace Gateway.Tests.Routing;

public sealed class NameTableTests
{
    [Fact]
    public void ANameSeenBefore_IsTheSameString()
    {
        var path = "/files/name-table-team/name-table-project/run/file_stream".AsSpan();
        var first = NameTable.Get(path.Slice(7, 15));
        var again = NameTable.Get("x/name-table-team".AsSpan(2));
        Assert.Equal("name-table-team", first);
        Assert.Same(first, again);
        Assert.NotSame(first, NameTable.Get("name-table-projec"));
        Assert.Equal("name-table-project", NameTable.Get(path.Slice(23, 18)));
    }
}
