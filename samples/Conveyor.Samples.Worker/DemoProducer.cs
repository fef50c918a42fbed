using System.Text.Json;
using Confluent.Kafka;
using Conveyor.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Conveyor.Samples.Worker;

/// <summary>
/// Runs only on the embedded broker: sends a few orders (one of them invalid), each with a W3C trace
/// context in its headers, waits until the processor has settled all of them, prints the health
/// report, and stops the application (which drains and commits).
/// </summary>
public sealed partial class DemoProducer(
    IConfiguration configuration, OrderTally tally, HealthCheckService health, IHostApplicationLifetime lifetime, ILogger<DemoProducer> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var count = configuration.GetValue("Sample:Orders", 20);
        var bootstrap = configuration["Conveyor:Processors:Orders:Kafka:bootstrap.servers"];
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = bootstrap, EnableIdempotence = true }).Build())
        {
            for (var id = 1; id <= count; id++)
            {
                // Order 7 is invalid: it ends in the dead-letter topic orders.dlq.
                var order = new Order(id, $"customer-{id % 4}", id == 7 ? -1 : id * 10.5m);
                var headers = new Headers();
                using var send = KafkaTraceContext.StartSend("orders", headers);
                await producer.ProduceAsync(
                    "orders",
                    new Message<string, string> { Key = order.Customer, Value = JsonSerializer.Serialize(order, JsonSerializerOptions.Web), Headers = headers },
                    stoppingToken);
            }
        }

        Produced(logger, count);
        tally.Expect(count);
        await tally.Done.WaitAsync(stoppingToken);
        var report = await health.CheckHealthAsync(stoppingToken);
        foreach (var (name, entry) in report.Entries)
        {
            HealthReported(logger, name, entry.Status, entry.Description);
        }

        if (!configuration.GetValue("Sample:StopWhenDone", true))
        {
            KeepsRunning(logger);
            return;
        }

        Finished(logger, count);
        lifetime.StopApplication();
    }

    [LoggerMessage(1, LogLevel.Information, "produced {Count} orders to 'orders' (order 7 is invalid)")]
    private static partial void Produced(ILogger logger, int count);

    [LoggerMessage(2, LogLevel.Information, "health check {Name}: {Status} ({Description})")]
    private static partial void HealthReported(ILogger logger, string name, HealthStatus status, string? description);

    [LoggerMessage(4, LogLevel.Information, "all orders settled; still serving /health/live, /health/ready, /metrics and the dashboard at /conveyor until Ctrl-C (Sample:StopWhenDone=false)")]
    private static partial void KeepsRunning(ILogger logger);

    [LoggerMessage(3, LogLevel.Information, "all {Count} orders settled (handled or dead-lettered); stopping: the processor drains and commits")]
    private static partial void Finished(ILogger logger, int count);
}
