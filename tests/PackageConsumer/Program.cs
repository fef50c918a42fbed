// Uses the Conveyor and Conveyor.Testing packages the way a user would: an embedded broker, a
// topic, some messages, and a KafkaProcessor that handles them all (one poison message goes to the
// dead-letter topic) and commits past every one. Exit 0 only if all of that happened in time.
// Usage: PackageConsumer <artifacts folder> <version>
using System.Collections.Concurrent;
using System.Reflection;
using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Processing;
using Conveyor.Testing;

if (args.Length != 2)
{
    Console.Error.WriteLine("usage: PackageConsumer <artifacts folder> <version>");
    return 2;
}

var (artifacts, version) = (args[0], args[1]);
var problems = PackageContents.Check(artifacts, version);
var loaded = typeof(KafkaProcessor<,>).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0];
if (loaded != version)
{
    problems.Add($"the Conveyor assembly loaded is version {loaded}; expected {version}");
}

if (problems.Count > 0)
{
    Console.Error.WriteLine($"package consumer: {problems.Count} problem(s) with the packages in {artifacts}:");
    problems.ForEach(p => Console.Error.WriteLine("  " + p));
    return 1;
}

const string Topic = "orders";
const int Messages = 200;
const string Poison = "order-13";
var timeout = TimeSpan.FromMinutes(2);

await using var cluster = EmbeddedKafkaCluster.Start(new EmbeddedKafkaOptions
{
    Topics = [new TopicSpec(Topic, 3), new TopicSpec(Topic + ".dlq", 1)],
});

// Produce with Confluent.Kafka, which the Conveyor package brings as a dependency.
var ends = new Dictionary<int, long>();
using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers, EnableIdempotence = true }).Build())
{
    for (var i = 0; i < Messages; i++)
    {
        var delivered = await producer.ProduceAsync(Topic, new Message<string, string> { Key = $"customer-{i % 7}", Value = $"order-{i}" });
        ends[delivered.Partition.Value] = Math.Max(ends.GetValueOrDefault(delivered.Partition.Value), delivered.Offset.Value + 1);
    }
}

var handled = new ConcurrentDictionary<string, bool>();
var observer = new Progress(ends);
var options = new ProcessorOptions
{
    GroupId = "package-consumer",
    Topics = [Topic],
    CommitInterval = TimeSpan.FromMilliseconds(200),
    Retry = new RetryOptions { MaxAttempts = 2, InitialDelay = TimeSpan.FromMilliseconds(10) },
};
var client = new KafkaClientProperties(cluster.BootstrapServers, [new("session.timeout.ms", "6000"), new("fetch.wait.max.ms", "50")]);
await using var processor = new KafkaProcessorBuilder<string, string>(client, options).SetObserver(observer).Handle((message, _) =>
{
    if (message.Value == Poison)
    {
        throw new InvalidOperationException($"{Poison} cannot be handled");
    }

    handled[message.Value] = true;
    return ValueTask.CompletedTask;
}).Build();

using var stop = new CancellationTokenSource();
var running = processor.RunAsync(stop.Token);
var first = await Task.WhenAny(observer.AllCommitted, running, Task.Delay(timeout));
if (first == running)
{
    await running; // surfaces the processor's failure
    Console.Error.WriteLine("package consumer: the processor stopped before every message was committed");
    return 1;
}

if (first != observer.AllCommitted)
{
    Console.Error.WriteLine($"package consumer: timed out after {timeout.TotalSeconds:0} s: handled {handled.Count}, dead-lettered {observer.DeadLettered} of {Messages}");
    return 1;
}

await stop.CancelAsync();
await running.WaitAsync(TimeSpan.FromSeconds(60));
if (handled.Count != Messages - 1 || observer.DeadLettered != 1)
{
    Console.Error.WriteLine($"package consumer: handled {handled.Count} and dead-lettered {observer.DeadLettered}; expected {Messages - 1} and 1");
    return 1;
}

Console.WriteLine($"package consumer finished: Conveyor {version} packages, produced {Messages}, handled {handled.Count}, dead-lettered {observer.DeadLettered}, committed {ends.Values.Sum()}");
return 0;

/// <summary>Counts dead letters and completes once the committed offsets reach the end of every partition.</summary>
internal sealed class Progress(Dictionary<int, long> ends) : IProcessorObserver
{
    private readonly ConcurrentDictionary<int, long> _committed = new();
    private readonly TaskCompletionSource _allCommitted = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _deadLettered;

    public Task AllCommitted => _allCommitted.Task;

    public int DeadLettered => Volatile.Read(ref _deadLettered);

    public void OnDeadLettered(TopicPartitionOffset message, TopicPartitionOffset deadLetter, Exception exception) =>
        Interlocked.Increment(ref _deadLettered);

    public void OnCommitted(IReadOnlyList<TopicPartitionOffset> offsets)
    {
        foreach (var offset in offsets)
        {
            _committed.AddOrUpdate(offset.Partition.Value, offset.Offset.Value, (_, old) => Math.Max(old, offset.Offset.Value));
        }

        if (ends.All(end => _committed.GetValueOrDefault(end.Key) >= end.Value))
        {
            _allCommitted.TrySetResult();
        }
    }
}
