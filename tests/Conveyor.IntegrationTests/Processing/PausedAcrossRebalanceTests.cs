using System.Collections.Concurrent;
using System.Globalization;
using Conveyor.Configuration;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Xunit.Abstractions;

namespace Conveyor.IntegrationTests.Processing;

/// <summary>
/// A partition the engine paused for back-pressure is revoked and later assigned to the same
/// member again. librdkafka keeps an application pause on its partition object across the revoke
/// and the new assignment, so unless the engine reconciles the pause on assignment that
/// partition is never fetched again: the group stops there for good, with no error anywhere.
/// </summary>
[Collection(RebalanceCollection.Name)]
public class PausedAcrossRebalanceTests(EmbeddedKafkaFixture kafka, ITestOutputHelper output)
{
    [Theory]
    [InlineData("eager")]
    [InlineData("cooperative")]
    [InlineData("kip848")]
    public async Task A_partition_paused_when_it_was_revoked_is_consumed_when_it_comes_back(string protocol)
    {
        const int partitions = 2;
        const int perPartition = 300;
        const int count = partitions * perPartition;
        var topic = kafka.CreateTopic(partitions);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic,
            Enumerable.Range(0, count).Select(i => ((string?)$"key-{i % 40}", i.ToString(CultureInfo.InvariantCulture))));

        var handled = new ConcurrentDictionary<string, int>();
        var allHandled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Handled(string value)
        {
            handled.AddOrUpdate(value, 1, (_, n) => n + 1);
            if (handled.Count >= count)
            {
                allHandled.TrySetResult();
            }
        }

        // The first member's handlers wait until it has been revoked once: its buffers fill, both
        // partitions are paused by back-pressure, and they are still paused when the second member joins.
        var firstRevoked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = new RecordingObserver();
        var firstEvents = CheckingObserver.Create(first, () =>
        {
            if (first.Log.Any(l => l.Contains(" revoked ", StringComparison.Ordinal)))
            {
                firstRevoked.TrySetResult();
            }
        });
        MessageHandler<string, string> firstHandler = async (message, ct) =>
        {
            await firstRevoked.Task.WaitAsync(ct);
            Handled(message.Value);
        };

        // The second member handles slowly, so plenty is left in its partitions when it leaves.
        MessageHandler<string, string> secondHandler = async (message, ct) =>
        {
            await Task.Delay(50, ct);
            Handled(message.Value);
        };

        var client = new KafkaClientProperties(kafka.Cluster.BootstrapServers, GroupProtocols.Properties(protocol));
        var options = new ProcessorOptions
        {
            GroupId = group,
            Topics = [topic],
            CommitInterval = TimeSpan.FromMilliseconds(200),
            // A worker for every key's first message: each partition's held handlers stop it on
            // their own (the rest waits behind them in their lanes), so both are stuck and paused.
            // With fewer workers, a partition whose messages only wait for a worker held by the
            // other partition waits its turn, and back-pressure leaves it alone.
            MaxConcurrency = 64,
            MaxBufferedMessagesPerPartition = 20,
            RevokeTimeout = TimeSpan.FromSeconds(1),
            StallTimeout = TimeSpan.FromSeconds(8), // longer than a rebalance here (about 5 s), during which the client holds partitions
        };

        using var stopFirst = new CancellationTokenSource();
        var firstRun = new KafkaProcessorBuilder<string, string>(client, options).SetObserver(firstEvents).Handle(firstHandler).Build().RunAsync(stopFirst.Token);
        await WaitUntil(() => first.BackPressureEvents.Where(e => e.Paused).SelectMany(e => e.Partitions).Distinct().Count() == partitions, "the first member paused both partitions");

        var second = new RecordingObserver();
        using var stopSecond = new CancellationTokenSource();
        var secondRun = new KafkaProcessorBuilder<string, string>(client, options with { MaxConcurrency = 1 }).SetObserver(second).Handle(secondHandler).Build().RunAsync(stopSecond.Token);
        await firstRevoked.Task.WaitAsync(Timeouts.Rebalance);
        await WaitUntil(() => !second.Assigned.IsEmpty, "the second member was assigned partitions");

        // The second member leaves: its partitions come back to the first, which paused them before.
        await stopSecond.CancelAsync();
        await secondRun.WaitAsync(Timeouts.Stop);
        var completed = await Task.WhenAny(allHandled.Task, Task.Delay(Timeouts.Rebalance * 2));

        first.Log.ToList().ForEach(l => output.WriteLine("first  " + l));
        second.Log.ToList().ForEach(l => output.WriteLine("second " + l));
        output.WriteLine($"{protocol}: handled {handled.Count} of {count}; stalls reported: {string.Join(", ", first.Stalls)}");
        Assert.True(completed == allHandled.Task, $"{count - handled.Count} of {count} messages were never handled: a partition stopped being consumed");

        await first.WaitForCommittedSum(count, Timeouts.Flow);
        await stopFirst.CancelAsync();
        await firstRun.WaitAsync(Timeouts.Stop);
        Assert.Equal(count, kafka.Committed(group, topic, partitions).Values.Sum());
        Assert.Empty(first.Stalls); // the watchdog saw no partition with lag and no deliveries
    }

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeouts.Rebalance;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}");
            await Task.Delay(20);
        }
    }
}
