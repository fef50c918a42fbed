using Conveyor.AspNetCore;
using Conveyor.AspNetCore.Dashboard;
using Conveyor.AspNetCore.Dashboard.Model;
using Conveyor.Hosting;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Serves the hosted processors' health checks and dashboard over HTTP.</summary>
public static class ConveyorEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps <c>{prefix}/live</c> and <c>{prefix}/ready</c> to the Conveyor processors' health checks
    /// (tag <c>conveyor</c>). Liveness answers 503 only when a processor is unhealthy (stopped,
    /// failed, a partition stopped, the poll loop stuck); readiness also while one is degraded
    /// (starting, a partition stalled). The body is JSON: the overall status and, per processor, its
    /// status, state, assigned, stopped and stalled partitions and last error, secret values masked.
    /// </summary>
    /// <param name="endpoints">The application's endpoints.</param>
    /// <param name="prefix">The path both endpoints go under; <c>/health</c> by default.</param>
    /// <returns>The group of both endpoints, e.g. to require authorization or a host.</returns>
    public static RouteGroupBuilder MapConveyorHealth(this IEndpointRouteBuilder endpoints, string prefix = "/health")
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        var group = endpoints.MapGroup(prefix);
        group.MapHealthChecks("/live", Options(HealthStatus.Degraded));
        group.MapHealthChecks("/ready", Options(HealthStatus.Healthy));
        return group;
    }

    /// <summary>
    /// Maps the Conveyor dashboard under <paramref name="prefix"/>: an overview of the hosted
    /// processors (state, message rate, in-flight, retries, dead letters, lag; stopped partitions
    /// with their reason), their partitions, their dead letters and their configuration (secrets
    /// masked). Server-rendered pages that refresh themselves; assets come from the assembly.
    /// Read-only unless <see cref="ConveyorDashboardOptions.ActionsPolicy"/> names an authorization
    /// policy, which then enables replaying dead letters (POSTs with antiforgery tokens).
    /// </summary>
    /// <param name="endpoints">The application's endpoints.</param>
    /// <param name="prefix">The path the dashboard goes under; <c>/conveyor</c> by default.</param>
    /// <param name="configure">Actions, refresh interval, title.</param>
    /// <returns>The group of the dashboard's endpoints, e.g. to require authorization for viewing too.</returns>
    /// <exception cref="InvalidOperationException">Actions are enabled but antiforgery is not registered.</exception>
    public static RouteGroupBuilder MapConveyorDashboard(this IEndpointRouteBuilder endpoints, string prefix = "/conveyor", Action<ConveyorDashboardOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        var options = new ConveyorDashboardOptions();
        configure?.Invoke(options);
        return DashboardEndpoints.Map(endpoints, prefix, options, services =>
            services.GetService<IDashboardSource>() ?? new HostedSource(services.GetServices<IHostedProcessor>()));
    }

    /// <param name="lowestPassing">The lowest status answered with 200; anything below gets 503.</param>
    private static HealthCheckOptions Options(HealthStatus lowestPassing) => new()
    {
        Predicate = check => check.Tags.Contains(ConveyorServiceCollectionExtensions.HealthCheckTag),
        ResultStatusCodes =
        {
            [HealthStatus.Healthy] = StatusCodes.Status200OK,
            [HealthStatus.Degraded] = lowestPassing <= HealthStatus.Degraded ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable,
            [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
        },
        ResponseWriter = HealthResponse.WriteAsync,
        AllowCachingResponses = false,
    };
}
