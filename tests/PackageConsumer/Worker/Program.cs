// A worker service on the Generic Host that uses the Conveyor.Hosting package the way a user would:
// a hosted processor bound from configuration, on an embedded broker, handling every message and
// then stopping the host. Exit 0 only if all were handled and RunConveyorAsync returned 0.
// Usage: PackageConsumer.Worker
using Confluent.Kafka;
using Conveyor.Hosting;
using Conveyor.Processing;
using Conveyor.Testing;

const string Topic = "worker-orders";
const int Messages = 50;
var timeout = TimeSpan.FromMinutes(2);

await using var cluster = EmbeddedKafkaCluster.Start(new EmbeddedKafkaOptions { Topics = [new TopicSpec(Topic, 2), new TopicSpec(Topic + ".dlq", 1)] });
using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers }).Build())
{
    for (var i = 0; i < Messages; i++)
    {
        await producer.ProduceAsync(Topic, new Message<string, string> { Key = $"customer-{i % 5}", Value = $"order-{i}" });
    }
}

var builder = Host.CreateApplicationBuilder(args);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["Conveyor:Processors:Orders:GroupId"] = "package-consumer-worker",
    ["Conveyor:Processors:Orders:Topics:0"] = Topic,
    ["Conveyor:Processors:Orders:Kafka:bootstrap.servers"] = cluster.BootstrapServers,
});
var tally = new Tally(Messages);
builder.Services.AddSingleton(tally);
builder.Services.AddConveyorProcessor<string, string, OrderHandler>("orders", builder.Configuration.GetSection("Conveyor:Processors:Orders"));
using var host = builder.Build();

using var stop = new CancellationTokenSource(timeout);
_ = tally.AllHandled.ContinueWith(_ => stop.Cancel(), TaskScheduler.Default);
var exitCode = await host.RunConveyorAsync(stop.Token);
if (!tally.AllHandled.IsCompleted)
{
    Console.Error.WriteLine($"package consumer worker: handled {tally.Handled} of {Messages} within {timeout.TotalSeconds:0} s (exit code {exitCode})");
    return 1;
}

if (exitCode != 0)
{
    Console.Error.WriteLine($"package consumer worker: every message was handled but RunConveyorAsync returned {exitCode}");
    return 1;
}

Console.WriteLine($"package consumer worker finished: a Generic Host worker on Conveyor.Hosting handled {tally.Handled} of {Messages}");
return 0;

/// <summary>Counts handled messages; completes when all are.</summary>
internal sealed class Tally(int expected)
{
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _handled;

    public Task AllHandled => _all.Task;

    public int Handled => Volatile.Read(ref _handled);

    public void Add()
    {
        if (Interlocked.Increment(ref _handled) == expected)
        {
            _all.TrySetResult();
        }
    }
}

/// <summary>Resolved from a new scope per message, as in a user's worker.</summary>
internal sealed class OrderHandler(Tally tally) : IMessageHandler<string, string>
{
    public ValueTask HandleAsync(MessageContext<string, string> message, CancellationToken cancellationToken)
    {
        tally.Add();
        return ValueTask.CompletedTask;
    }
}
