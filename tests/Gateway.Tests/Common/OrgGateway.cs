using Gateway.Tests.Functional;

namespace Gateway.Tests.Common;

/// <summary>A gateway on a recording upstream with the <see cref="OrgFixture"/> org built, and every principal's key; disposes both.</summary>
internal sealed class OrgGateway : IAsyncDisposable
{
    private OrgGateway(TestGateway gw, EchoUpstream echo, Dictionary<string, string> keys) => (Gw, Echo, Keys) = (gw, echo, keys);

    public TestGateway Gw { get; }

    public EchoUpstream Echo { get; }

    public Dictionary<string, string> Keys { get; }

    public static async Task<OrgGateway> StartAsync(params string[] args)
    {
        var echo = await EchoUpstream.StartAsync();
        var gw = await TestGateway.StartAsync(dir => Replicas.PostgresStoreTests.Config(dir, echo.Url), args);
        var keys = new Dictionary<string, string>();
        await OrgFixture.BuildAsync(gw, keys);
        return new OrgGateway(gw, echo, keys);
    }

    /// <summary>The public id of a standard key (<c>gw_ID_secret</c>).</summary>
    public static string KeyIdOf(string key) => key.Split('_')[1];

    public void Deconstruct(out TestGateway gw, out EchoUpstream echo, out Dictionary<string, string> keys) => (gw, echo, keys) = (Gw, Echo, Keys);

    public async ValueTask DisposeAsync()
    {
        await Gw.DisposeAsync();
        await Echo.DisposeAsync();
    }
}
