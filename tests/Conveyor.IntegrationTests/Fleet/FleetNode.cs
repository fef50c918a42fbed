using System.Collections.Concurrent;
using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Fleet;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;

namespace Conveyor.IntegrationTests.Fleet;

/// <summary>
/// One processor instance of a fleet test, in the test's process (the tests run two or three of
/// them side by side on the embedded broker): records every message it handled, by partition.
/// On KIP-848 unless given other client properties (a group it joins may use the classic protocol).
/// </summary>
internal sealed class FleetNode : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _run;

    public FleetNode(string bootstrap, ProcessorOptions options, string instance, ConcurrentQueue<(string Instance, int Partition, long Offset)> handled,
        Func<MessageContext<string, string>, CancellationToken, Task>? before = null, IReadOnlyList<KafkaProperty>? properties = null)
    {
        Name = instance;
        Processor = new KafkaProcessorBuilder<string, string>(
                new KafkaClientProperties(bootstrap, properties ?? GroupProtocols.Properties("kip848")),
                options with { Fleet = options.Fleet with { InstanceId = instance } })
            .Handle(async (message, ct) =>
            {
                if (before is not null)
                {
                    await before(message, ct);
                }

                handled.Enqueue((instance, message.Partition, message.Offset));
            })
            .Build();
        _run = Processor.RunAsync(_stop.Token);
        All.Add(this);
    }

    /// <summary>Every node started in this process, for the tests' failure messages.</summary>
    public static ConcurrentBag<FleetNode> All { get; } = [];

    public string Name { get; }

    public IKafkaProcessor Processor { get; }

    public IReadOnlyList<TopicPartition> Assigned => Processor.Status.AssignedPartitions;

    /// <summary>Stops the instance cleanly (drain, commit, leave the group) and waits for it.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await _run.WaitAsync(Timeouts.Stop);
    }

    /// <summary>The run, for a test that expects it to end on its own (a stop command).</summary>
    public Task Run => _run;

    public async ValueTask DisposeAsync()
    {
        if (!_run.IsCompleted)
        {
            await StopAsync();
        }

        await Processor.DisposeAsync();
        _stop.Dispose();
    }
}

/// <summary>The operator's side in the fleet tests: sends commands and reads the fleet's answers from the status topic.</summary>
internal sealed class FleetOperator(string bootstrap, string group, string controlTopic, string statusTopic)
{
    public KafkaClientProperties Client { get; } = new(bootstrap);

    /// <summary>Sends the command and waits until each of <paramref name="instances"/> answered it; returns their answers.</summary>
    public async Task<Dictionary<string, string>> SendAsync(ControlKind kind, string? topic = null, int[]? partitions = null, long? offset = null, int? limit = null, long? shift = null, params string[] instances)
    {
        var command = new ControlCommand(Guid.NewGuid().ToString("N"), group, kind, "test", DateTimeOffset.UtcNow)
        {
            Topic = topic,
            Partitions = partitions,
            Offset = offset,
            Limit = limit,
            Shift = shift,
        };
        await FleetReader.SendAsync(Client, controlTopic, command);
        var answers = new Dictionary<string, string>();
        await Task.Run(() =>
        {
            using var reader = FleetReader.Open(Client, statusTopic, TimeSpan.FromSeconds(10)) ?? throw new InvalidOperationException("no status topic");
            reader.ReadUntil(DateTime.UtcNow + Timeouts.Flow, view =>
            {
                foreach (var instance in view.Instances(DateTimeOffset.UtcNow).Where(i => i.Status.Group == group))
                {
                    if (instance.Status.Commands.FirstOrDefault(c => c.Id == command.Id) is { } result)
                    {
                        answers[instance.Status.Instance] = result.Result;
                    }
                }

                return instances.All(answers.ContainsKey);
            });
        });
        Assert.True(instances.All(answers.ContainsKey), $"{kind} was answered only by {string.Join(", ", answers.Keys)} of {string.Join(", ", instances)}");
        return answers;
    }

    /// <summary>The fleet as the status topic shows it now.</summary>
    public IReadOnlyList<FleetInstance> Fleet(Func<FleetView, bool> until)
    {
        using var reader = FleetReader.Open(Client, statusTopic, TimeSpan.FromSeconds(10)) ?? throw new InvalidOperationException("no status topic");
        reader.ReadUntil(DateTime.UtcNow + Timeouts.Rebalance, until);
        return reader.View.Instances(DateTimeOffset.UtcNow);
    }

    /// <summary>Produces <paramref name="count"/> messages to one partition, each with a key of its own.</summary>
    public static async Task ProduceAsync(string bootstrap, string topic, int partition, int count, string tag)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = bootstrap, LingerMs = 5 }).Build();
        await Task.WhenAll(Enumerable.Range(0, count).Select(i =>
            producer.ProduceAsync(new TopicPartition(topic, partition), new Message<string, string> { Key = $"{tag}-{partition}-{i}", Value = $"{tag}-{i}" })));
    }
}
