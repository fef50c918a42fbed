using Conveyor.Hosting;
using Conveyor.Samples.Worker;
using Conveyor.Testing;
using Microsoft.Extensions.Options;

var builder = Host.CreateApplicationBuilder(args);
builder.Logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss.fff "; });
var orders = builder.Configuration.GetSection("Conveyor:Processors:Orders");

// No brokers configured: run on the embedded broker and send a few orders to process. Its address
// is known only once it runs, so the settings are first checked with a stand-in address.
var useEmbedded = string.IsNullOrWhiteSpace(orders["Kafka:bootstrap.servers"]);
if (useEmbedded)
{
    builder.Configuration.AddInMemoryCollection([new("Conveyor:Processors:Orders:Kafka:bootstrap.servers", "embedded-broker:9092")]);
    builder.Services.AddHostedService<DemoProducer>();
}

var tally = new OrderTally();
builder.Services.AddSingleton(tally);
builder.Services.AddConveyorProcessor<string, Order, OrderHandler>("orders", orders, processor => processor.Observer = tally);

using var host = builder.Build();
try
{
    // Checked before anything starts (the embedded broker included), every problem at once.
    host.Services.GetRequiredService<IOptionsFactory<ProcessorSettings>>().Create("orders");
}
catch (OptionsValidationException e)
{
    Console.Error.WriteLine($"Invalid configuration ({e.Failures.Count()} problems):");
    foreach (var failure in e.Failures)
    {
        Console.Error.WriteLine("  " + failure);
    }

    return 2;
}

await using var embedded = useEmbedded ? EmbeddedKafkaCluster.Start() : null;
if (embedded is not null)
{
    embedded.CreateTopic("orders", partitions: 3);
    embedded.CreateTopic("orders.dlq", partitions: 1);
    builder.Configuration.AddInMemoryCollection([new("Conveyor:Processors:Orders:Kafka:bootstrap.servers", embedded.BootstrapServers)]);
    Console.WriteLine($"embedded Kafka broker at {embedded.BootstrapServers} with topics orders (3 partitions) and orders.dlq");
}

await host.RunAsync();
return 0;
