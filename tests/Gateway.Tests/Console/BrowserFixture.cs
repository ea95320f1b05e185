using Microsoft.Playwright;
using Xunit;

namespace Gateway.Tests.OperatorConsole;

/// <summary>
/// One real Chromium (Debian's <c>chromium</c> package, driven by Microsoft.Playwright) for the
/// console's browser tests; each test opens its own context (cookies, storage) on it. Screenshots go
/// to <see cref="ScreenshotDirectory"/>, kept as test artifacts.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    private static readonly string[] Candidates = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"];

    private IPlaywright _playwright = null!;

    public IBrowser Browser { get; private set; } = null!;

    public static string ScreenshotDirectory { get; } = Path.Combine(AppContext.BaseDirectory, "console-screenshots");

    public async Task InitializeAsync()
    {
        var executable = Candidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("Chromium is not installed: the console's browser tests need Debian's 'chromium' package (.ci/run installs it: apt-get install chromium).");
        System.IO.Directory.CreateDirectory(ScreenshotDirectory);
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = executable, Headless = true });
    }

    public async Task DisposeAsync()
    {
        await Browser.DisposeAsync();
        _playwright.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<BrowserFixture>
{
    public const string Name = "Browser";
}
