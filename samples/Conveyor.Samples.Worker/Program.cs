using Conveyor.Samples.Worker;
using Conveyor.Testing;
using Microsoft.Extensions.Options;

var builder = Host.CreateApplicationBuilder(args);
builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
var orders = builder.Configuration.GetSection("Conveyor:Processors:Orders");

// No brokers configured: run on the embedded broker and send a few orders to process.
await using var embedded = string.IsNullOrWhiteSpace(orders["Kafka:bootstrap.servers"]) ? EmbeddedKafkaCluster.Start() : null;
if (embedded is not null)
{
    embedded.CreateTopic("orders", partitions: 3);
    embedded.CreateTopic("orders.dlq", partitions: 1);
    builder.Configuration.AddInMemoryCollection([new("Conveyor:Processors:Orders:Kafka:bootstrap.servers", embedded.BootstrapServers)]);
    builder.Services.AddHostedService<DemoProducer>();
    Console.WriteLine($"embedded Kafka broker at {embedded.BootstrapServers} with topics orders (3 partitions) and orders.dlq");
}

var tally = new OrderTally();
builder.Services.AddSingleton(tally);
builder.Services.AddConveyorProcessor<string, Order, OrderHandler>("orders", orders, processor => processor.Observer = tally);

using var host = builder.Build();
try
{
    await host.RunAsync();
    return 0;
}
catch (OptionsValidationException e)
{
    // Checked at start, before anything connects; every problem at once.
    Console.Error.WriteLine($"Invalid configuration ({e.Failures.Count()} problems):");
    foreach (var failure in e.Failures)
    {
        Console.Error.WriteLine("  " + failure);
    }

    return 2;
}
