using Conveyor.Diagnostics;
using Conveyor.Hosting;
using Conveyor.Processing;
using OpenTelemetry.Metrics;

namespace Conveyor.Docs.Snippets;

public sealed class OrderHandler(OrdersDb db) : IMessageHandler<string, Order> // a new scope per message
{
    public async ValueTask HandleAsync(MessageContext<string, Order> message, CancellationToken ct) =>
        await db.SaveAsync(message.Value, ct); // throw to fail: retried, then dead-lettered
}

internal static class Hosting
{
    public static void Retryable(IServiceCollection services)
    {
        #region retryable
        services.Configure<ProcessorSettings>("orders", s => s.Processor = s.Processor with
        {
            Retry = s.Processor.Retry with { IsRetryable = e => e is TimeoutException },
        });
        #endregion
    }

    public static void Http(string[] args)
    {
        #region http
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddConveyorProcessor<string, Order, OrderHandler>("orders", builder.Configuration.GetSection("Conveyor:Processors:Orders"));
        builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(ConveyorDiagnostics.MeterName).AddPrometheusExporter());
        var app = builder.Build();
        app.MapConveyorHealth();               // GET /health/live, /health/ready
        app.MapPrometheusScrapingEndpoint();   // GET /metrics
        app.Run();
        #endregion
    }

    public static void Dashboard(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        #region dashboard
        builder.Services.AddAntiforgery();
        builder.Services.AddAuthorization(o => o.AddPolicy("conveyor-operators", p => p.RequireRole("operator")));
        var app = builder.Build();
        app.MapConveyorDashboard("/conveyor", o => o.ActionsPolicy = "conveyor-operators")
           .RequireAuthorization();   // the route group: require a signed-in user to look, too
        #endregion
        app.Run();
    }
}
