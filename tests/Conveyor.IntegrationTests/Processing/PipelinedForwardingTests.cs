using System.Globalization;
using Conveyor.Configuration;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Conveyor.Processing.Forwarding;
using Conveyor.Testing;

namespace Conveyor.IntegrationTests.Processing;

/// <summary>
/// The pipelined forwarder: a worker hands its outputs to the producer and moves on. Per-key order
/// of outputs must hold anyway, and a slow output broker must not let unacknowledged outputs pile up.
/// </summary>
[Collection(ProcessingCollection.Name)]
public class PipelinedForwardingTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task Outputs_of_one_key_are_written_in_input_order_under_concurrency()
    {
        const int keys = 12, perKey = 150;
        var input = kafka.CreateTopic(partitions: 3);
        var output = kafka.CreateTopic(partitions: 4);
        var group = Names.Unique("group");
        var messages = Enumerable.Range(0, perKey).SelectMany(n => Enumerable.Range(0, keys).Select(k => ((string?)$"key-{k}", $"{k}:{n}")));
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, input, messages);

        var recorder = new ForwardingRecorder();
        var options = new ProcessorOptions { GroupId = group, Topics = [input], MaxConcurrency = 32, CommitInterval = TimeSpan.FromMilliseconds(100) };
        await RunUntil(kafka.Cluster.BootstrapServers, options, recorder, async (message, _) =>
        {
            // Handlers of different keys finish in a shuffled order, so outputs are handed over out of offset order.
            await Task.Delay(Random.Shared.Next(0, 2));
            return [OutputRecord.Utf8(output, message.Key, message.Value)];
        }, () => recorder.CommittedSum >= keys * perKey);

        Assert.Empty(recorder.Violations);
        var written = KafkaTestClient.ReadAll(kafka.Cluster.BootstrapServers, output, keys * perKey, Timeouts.Flow);
        Assert.Equal(keys * perKey, written.Count);
        foreach (var key in written.GroupBy(r => r.Message.Key))
        {
            // One output partition per key, read in its offset order: the sequence numbers must rise by one.
            Assert.Single(key.Select(r => r.Partition.Value).Distinct());
            var sequence = key.Select(r => int.Parse(r.Message.Value!.Split(':')[1], CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(Enumerable.Range(0, perKey), sequence);
        }
    }

    [Fact]
    public async Task A_slow_output_broker_holds_unacknowledged_outputs_within_the_window_and_loses_nothing()
    {
        const int count = 200, window = 10, concurrency = 16;
        await using var cluster = EmbeddedKafkaCluster.Start(new EmbeddedKafkaOptions { Brokers = 2 });
        var input = Names.Unique("input");
        var output = Names.Unique("output");
        cluster.CreateTopic(input, 1);
        cluster.CreateTopic(output, 1);
        cluster.SetPartitionLeader(input, 0, 1);
        cluster.SetPartitionLeader(output, 0, 2);
        var group = Names.Unique("group");
        cluster.SetGroupCoordinator(group, 1);
        await KafkaTestClient.ProduceAsync(cluster.BootstrapServers, input, Enumerable.Range(0, count).Select(i => ((string?)$"key-{i}", $"m{i}")));
        cluster.SetRoundTripDelay(2, TimeSpan.FromMilliseconds(100)); // only the output partition's leader is slow

        var recorder = new ForwardingRecorder();
        var handed = 0;
        var peak = 0;
        var options = new ProcessorOptions
        {
            GroupId = group,
            Topics = [input],
            Ordering = OrderingMode.Unordered,
            MaxConcurrency = concurrency,
            CommitInterval = TimeSpan.FromMilliseconds(100),
            Forwarding = new ForwardingOptions { MaxUnacknowledgedOutputs = window },
        };
        await RunUntil(cluster.BootstrapServers, options, recorder, (message, _) =>
        {
            // Inputs whose outputs were returned and not yet acknowledged: at most the window, plus
            // the workers waiting for room with their outputs in hand.
            var unacknowledged = Interlocked.Increment(ref handed) - recorder.Forwarded.Count;
            InterlockedMax(ref peak, unacknowledged);
            return ValueTask.FromResult<IReadOnlyList<OutputRecord>>([OutputRecord.Utf8(output, message.Key, message.Value)]);
        }, () => recorder.CommittedSum >= count);

        Assert.Empty(recorder.Violations);
        Assert.InRange(peak, 1, window + concurrency + 2); // without the window all 200 would be in flight at once
        var written = KafkaTestClient.ReadAll(cluster.BootstrapServers, output, count, Timeouts.Flow).Select(r => r.Message.Value).ToHashSet();
        Assert.Equal(count, written.Count);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        var current = Volatile.Read(ref target);
        while (value > current && Interlocked.CompareExchange(ref target, value, current) is var seen && seen != current)
        {
            current = seen;
        }
    }

    private static Task RunUntil(string bootstrap, ProcessorOptions options, ForwardingRecorder recorder, ForwardingHandler<string, string> handler, Func<bool> done) =>
        ProcessorRun.ForwardUntilAsync<IForwardingObserver>(new KafkaClientProperties(bootstrap), options, recorder, handler, done);
}
