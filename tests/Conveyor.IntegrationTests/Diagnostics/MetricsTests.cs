using Conveyor.Configuration;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;

namespace Conveyor.IntegrationTests.Diagnostics;

/// <summary>The Conveyor meter, heard through a MeterListener while a processor runs on the embedded broker.</summary>
[Collection(ProcessingCollection.Name)]
public class MetricsTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task Received_processed_retried_failed_and_dead_lettered_messages_are_counted()
    {
        var topic = kafka.CreateTopic(partitions: 2);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic,
            [.. Enumerable.Range(0, 8).Select(i => ((string?)$"k{i}", "ok")), ("k8", "flaky"), ("k9", "poison")]);
        using var metrics = new MetricRecorder(group);
        var flakyFailed = 0;
        var options = new ProcessorOptions
        {
            GroupId = group,
            Topics = [topic],
            CommitInterval = TimeSpan.FromMilliseconds(100),
            Retry = new RetryOptions { MaxAttempts = 3, InitialDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) },
        };
        var processor = new KafkaProcessorBuilder<string, string>(Client(), options).Handle((message, _) =>
        {
            if (message.Value == "poison" || (message.Value == "flaky" && Interlocked.Exchange(ref flakyFailed, 1) == 0))
            {
                throw new InvalidOperationException("handler failed");
            }

            return ValueTask.CompletedTask;
        }).Build();

        using var stop = new CancellationTokenSource();
        var run = processor.RunAsync(stop.Token);
        await metrics.WaitFor(m => m.Count("messaging.process.duration") == 10, Timeouts.Flow, "10 messages finished");
        await metrics.WaitFor(m => m.Sum("conveyor.commits") >= 1, Timeouts.Flow, "a commit");
        await stop.CancelAsync();
        await run.WaitAsync(Timeouts.Stop);

        Assert.Equal(10, metrics.Sum("messaging.client.consumed.messages"));
        Assert.Equal(9, metrics.Sum("conveyor.messages.processed"));
        Assert.Equal(1, metrics.Sum("conveyor.messages.failed"));
        Assert.Equal(1, metrics.Sum("conveyor.messages.dead_lettered"));
        Assert.Equal(3, metrics.Sum("conveyor.messages.retried")); // poison: 2 retries, flaky: 1
        Assert.Equal(13, metrics.Count("conveyor.handler.duration")); // 9 successful calls, 4 failed ones
        Assert.Equal(4, metrics.Measurements.Count(m => m.Name == "conveyor.handler.duration" && m.Tags.ContainsKey("error.type")));
        var failedProcess = Assert.Single(metrics.Measurements, m => m.Name == "messaging.process.duration" && m.Tags.ContainsKey("error.type"));
        Assert.Equal(typeof(InvalidOperationException).FullName, failedProcess.Tags["error.type"]);
        Assert.Equal(0, metrics.Sum("conveyor.messages.in_flight"));
        Assert.Equal(10, metrics.Measurements.Count(m => m.Name == "conveyor.messages.in_flight" && m.Value > 0));
        Assert.True(metrics.Sum("conveyor.rebalances") >= 1);
        Assert.Contains(metrics.Measurements, m => m.Name == "conveyor.rebalances" && (string?)m.Tags["conveyor.rebalance.event"] == "assigned");
        Assert.Equal(metrics.Sum("conveyor.commits") + metrics.Sum("conveyor.commit.failures"), metrics.Count("conveyor.commit.duration"));
        Assert.All(metrics.Measurements.Where(m => m.Name == "messaging.client.consumed.messages"), m =>
        {
            Assert.Equal("kafka", m.Tags["messaging.system"]);
            Assert.Equal(topic, m.Tags["messaging.destination.name"]);
        });
    }

    [Fact]
    public async Task Consumer_lag_per_partition_follows_what_is_committed()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, 10).Select(i => ((string?)"k", $"{i}")));
        using var metrics = new MetricRecorder(group);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult();
        var options = new ProcessorOptions { GroupId = group, Topics = [topic], CommitInterval = TimeSpan.FromMilliseconds(50) };
        var processor = new KafkaProcessorBuilder<string, string>(Client(new KafkaProperty("statistics.interval.ms", "100")), options).Handle(async (message, ct) =>
        {
            await Volatile.Read(ref gate).Task.WaitAsync(ct);
        }).Build();

        using var stop = new CancellationTokenSource();
        var run = processor.RunAsync(stop.Token);
        try
        {
            await metrics.WaitFor(m => m.LatestPerPartition("conveyor.consumer.lag").GetValueOrDefault("0", -1) == 0, Timeouts.Flow, "lag 0 once all 10 are committed");

            Volatile.Write(ref gate, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(10, 5).Select(i => ((string?)"k", $"{i}")));
            await metrics.WaitFor(m => m.LatestPerPartition("conveyor.consumer.lag").GetValueOrDefault("0", -1) == 5, Timeouts.Flow, "lag 5 while 5 new messages are held");
        }
        finally
        {
            gate.TrySetResult();
            await stop.CancelAsync();
            await run.WaitAsync(Timeouts.Stop);
        }
    }

    private KafkaClientProperties Client(params KafkaProperty[] properties) =>
        new(kafka.Cluster.BootstrapServers, [new("session.timeout.ms", "6000"), new("fetch.wait.max.ms", "50"), .. properties]);
}
