using Microsoft.Playwright;

namespace Conveyor.IntegrationTests.Dashboard;

/// <summary>A test class with a browser of its own for each test, closed after it.</summary>
public abstract class BrowserTest : IAsyncLifetime
{
    private Browser? _browser;

    private protected IPage Page => _browser!.Page;

    public async Task InitializeAsync() => _browser = await Browser.LaunchAsync();

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }
    }

    /// <summary>Saves a full-page screenshot as <c>screenshots/{name}.png</c>; returns its path.</summary>
    private protected Task<string> ScreenshotAsync(string name) => _browser!.ScreenshotAsync(name);
}
