using Conveyor.Diagnostics;
using Conveyor.Hosting;
using Conveyor.Samples.Worker;
using Conveyor.Testing;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

var builder = WebApplication.CreateBuilder(args);
builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
var orders = builder.Configuration.GetSection("Conveyor:Processors:Orders");

var tally = new OrderTally();
builder.Services.AddSingleton(tally);
builder.Services.AddConveyorProcessor<string, Order, OrderHandler>("orders", orders, processor => processor.Observer = tally);

// No brokers configured: run on the embedded broker and send a few orders to process. The host
// owns the broker (a singleton made by a factory is disposed with the host). The settings are
// checked first, with a stand-in address, so that a mistake is reported before the broker starts.
if (string.IsNullOrWhiteSpace(orders["Kafka:bootstrap.servers"]))
{
    builder.Configuration.AddInMemoryCollection([new("Conveyor:Processors:Orders:Kafka:bootstrap.servers", "embedded-broker:9092")]);
    if (SettingsProblems(builder.Services) is { } problems)
    {
        return problems;
    }

    var embedded = EmbeddedKafkaCluster.Start();
    embedded.CreateTopic("orders", partitions: 3);
    embedded.CreateTopic("orders.dlq", partitions: 1);
    builder.Configuration.AddInMemoryCollection([new("Conveyor:Processors:Orders:Kafka:bootstrap.servers", embedded.BootstrapServers)]);
    builder.Services.AddSingleton(_ => embedded);
    builder.Services.AddHostedService<DemoProducer>();
    Console.WriteLine($"embedded Kafka broker at {embedded.BootstrapServers} with topics orders (3 partitions) and orders.dlq");
}

// Conveyor's meter through OpenTelemetry: scraped by Prometheus at /metrics, and pushed over OTLP
// when OTEL_EXPORTER_OTLP_ENDPOINT names a collector.
builder.Services.AddOpenTelemetry()
    .ConfigureResource(resource => resource.AddService("conveyor-sample-worker"))
    .WithMetrics(metrics =>
    {
        metrics.AddMeter(ConveyorDiagnostics.MeterName)
            .AddPrometheusExporter(o => o.ScrapeResponseCacheDurationMilliseconds = 0);
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            metrics.AddOtlpExporter();
        }
    });

var app = builder.Build();
app.MapConveyorHealth();               // /health/live and /health/ready
app.MapPrometheusScrapingEndpoint();   // /metrics
app.MapConveyorDashboard();            // /conveyor: overview, partitions, dead letters, configuration (read-only)

// Checks the settings (every problem at once, in one message), runs until stopped, and returns the
// exit code: 0 stopped, 1 a processor failed and stopped the application, 2 invalid configuration.
return await app.RunConveyorAsync();

// Checks the processor's settings without starting anything; the exit code 2 and the problems when invalid.
static int? SettingsProblems(IServiceCollection services)
{
    try
    {
#pragma warning disable ASP0000 // a throwaway provider, only to validate the options before the broker starts
        using var check = services.BuildServiceProvider();
#pragma warning restore ASP0000
        check.GetRequiredService<IOptionsFactory<ProcessorSettings>>().Create("orders");
        return null;
    }
    catch (OptionsValidationException e)
    {
        return Report(e);
    }
}

static int Report(OptionsValidationException e)
{
    var failures = e.Failures.ToList();
    Console.Error.WriteLine($"error: invalid configuration ({failures.Count} problem{(failures.Count == 1 ? "" : "s")}; nothing was started): {string.Join(" ", failures)}");
    return 2;
}

/// <summary>The sample's entry point, public for WebApplicationFactory in the tests.</summary>
public partial class Program;
