using Conveyor.IntegrationTests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Conveyor.IntegrationTests.Dashboard;

/// <summary>
/// An ASP.NET Core app on a real port (the browser needs one) that hosts one processor named
/// <c>orders</c> on the embedded broker and serves the dashboard at <c>/conveyor</c>.
/// </summary>
internal sealed class DashboardApp : IAsyncDisposable
{
    public const string OperatorsPolicy = "conveyor-operators";

    private readonly WebApplication _app;

    private DashboardApp(WebApplication app, string url, string group)
    {
        _app = app;
        Url = url;
        Group = group;
    }

    /// <summary>The dashboard's address, e.g. http://127.0.0.1:41234/conveyor.</summary>
    public string Url { get; }

    /// <summary>The processor's consumer group.</summary>
    public string Group { get; }

    /// <param name="fixture">The embedded broker.</param>
    /// <param name="topic">The topic the processor reads.</param>
    /// <param name="script">What the handler does.</param>
    /// <param name="actions">Whether replay is enabled (policy <see cref="OperatorsPolicy"/>, which everyone meets here).</param>
    /// <param name="settings">More processor settings (configuration keys under the processor's section).</param>
    public static async Task<DashboardApp> StartAsync(EmbeddedKafkaFixture fixture, string topic, HandlerScript script, bool actions, params (string Key, string Value)[] settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        const string section = "Conveyor:Processors:Orders";
        var group = Names.Unique("dashboard");
        builder.Configuration.AddInMemoryCollection(
        [
            new($"{section}:GroupId", group),
            new($"{section}:Topics:0", topic),
            new($"{section}:CommitInterval", "00:00:00.200"),
            new($"{section}:Retry:MaxAttempts", "2"),
            new($"{section}:Retry:InitialDelay", "00:00:00.050"),
            new($"{section}:Kafka:bootstrap.servers", fixture.Cluster.BootstrapServers),
            new($"{section}:Kafka:session.timeout.ms", "6000"),
            new($"{section}:Kafka:fetch.wait.max.ms", "50"),
            .. settings.Select(s => new KeyValuePair<string, string?>($"{section}:{s.Key}", s.Value)),
        ]);
        builder.Services.AddSingleton(script);
        builder.Services.AddConveyorProcessor<string, string, DashboardHandler>("orders", builder.Configuration.GetSection(section));
        if (actions)
        {
            builder.Services.AddAntiforgery();
            builder.Services.AddAuthorization(o => o.AddPolicy(OperatorsPolicy, policy => policy.RequireAssertion(_ => true)));
        }

        var app = builder.Build();
        app.MapConveyorDashboard("/conveyor", options =>
        {
            options.ActionsPolicy = actions ? OperatorsPolicy : null;
            options.RefreshInterval = TimeSpan.FromMilliseconds(500);
        });
        await app.StartAsync();
        return new DashboardApp(app, app.Urls.First().TrimEnd('/') + "/conveyor", group);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
