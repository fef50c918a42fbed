using Conveyor.AspNetCore.Dashboard.Model;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Conveyor.AspNetCore.Dashboard;

/// <summary>Maps the dashboard's pages, assets and (when enabled) its replay action under one prefix.</summary>
internal static class DashboardEndpoints
{
    /// <param name="endpoints">The application's endpoints.</param>
    /// <param name="prefix">The path the dashboard goes under.</param>
    /// <param name="options">Read-only or actions, refresh interval, title.</param>
    /// <param name="source">What it shows; made on first use from the application's services.</param>
    public static RouteGroupBuilder Map(IEndpointRouteBuilder endpoints, string prefix, ConveyorDashboardOptions options, Func<IServiceProvider, IDashboardSource> source)
    {
        if (options.RefreshInterval < TimeSpan.FromMilliseconds(500))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.RefreshInterval, "RefreshInterval must be at least 00:00:00.500.");
        }

        var services = endpoints.ServiceProvider;
        if (options.ActionsPolicy is not null && services.GetService<IAntiforgery>() is null)
        {
            throw new InvalidOperationException(
                "The Conveyor dashboard's actions (ActionsPolicy is set) are protected by antiforgery tokens: call services.AddAntiforgery() when registering services.");
        }

        var time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        var lag = new LagBoard(time);
        services.GetService<IHostApplicationLifetime>()?.ApplicationStopping.Register(lag.Dispose);
        var fleet = new FleetBoard();
        services.GetService<IHostApplicationLifetime>()?.ApplicationStopping.Register(fleet.Dispose);
        var pages = new DashboardPages(prefix.TrimEnd('/'), new Lazy<IDashboardSource>(() => source(services)), lag, options, time, fleet, new CommandLog());

        var group = endpoints.MapGroup(prefix);
        group.MapGet("/", (Delegate)pages.OverviewAsync);
        group.MapGet("/partitions", (Delegate)pages.PartitionsAsync);
        group.MapGet("/configuration", (Delegate)pages.Configuration);
        group.MapGet("/dead-letters", (Delegate)pages.DeadLettersAsync);
        group.MapGet("/dead-letters/{topic}/{partition:int}/{offset:long}", pages.DeadLetterAsync);
        group.MapGet("/fleet", (Delegate)pages.FleetAsync);
        group.MapGet("/assets/{name}", (string name) => DashboardAssets.Serve(name));
        if (options.ActionsPolicy is { } policy)
        {
            group.MapPost("/dead-letters/replay", (Delegate)pages.ReplayAsync).RequireAuthorization(policy).DisableAntiforgery();
            group.MapPost("/fleet/commands", (Delegate)pages.FleetCommandAsync).RequireAuthorization(policy).DisableAntiforgery();
        }

        return group;
    }
}
