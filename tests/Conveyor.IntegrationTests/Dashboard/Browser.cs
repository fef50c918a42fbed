using Microsoft.Playwright;

namespace Conveyor.IntegrationTests.Dashboard;

/// <summary>
/// Chromium driven by Playwright, launched by its path (<see cref="Chromium"/>; Playwright's own
/// browser download is not available here).
/// </summary>
internal sealed class Browser : IAsyncDisposable
{
    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private Browser(IPlaywright playwright, IBrowser browser, IPage page)
    {
        _playwright = playwright;
        _browser = browser;
        Page = page;
    }

    public IPage Page { get; }

    /// <summary>Where screenshots go: <c>screenshots/</c> in the test output directory.</summary>
    public static string ScreenshotDirectory => Path.Combine(AppContext.BaseDirectory, "screenshots");

    public static async Task<Browser> LaunchAsync()
    {
        var executable = await Chromium.PathAsync();

        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            Args = ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        page.SetDefaultTimeout(30_000);
        // Expectations wait up to the flow timeout: the processor and the broker set the pace, not the browser.
        Assertions.SetDefaultExpectTimeout((float)Support.Timeouts.Flow.TotalMilliseconds);
        return new Browser(playwright, browser, page);
    }

    /// <summary>Saves a full-page screenshot as <c>screenshots/{name}.png</c>; returns its path.</summary>
    public async Task<string> ScreenshotAsync(string name)
    {
        var path = Path.Combine(ScreenshotDirectory, name + ".png");
        Directory.CreateDirectory(ScreenshotDirectory);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
    }
}
