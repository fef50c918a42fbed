using System.Collections.Concurrent;
using Confluent.Kafka;
using Conveyor.Fleet;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Xunit.Abstractions;

namespace Conveyor.IntegrationTests.Fleet;

/// <summary>
/// Operator commands across a fleet of processor instances (two or three, each a processor of its
/// own in this test process) on the embedded broker, through the control and status topics.
/// </summary>
[Collection(FleetCollection.Name)]
public class FleetControlTests(EmbeddedKafkaFixture kafka, ITestOutputHelper output)
{
    private string Bootstrap => kafka.Cluster.BootstrapServers;

    [Fact]
    public async Task A_paused_partition_is_handled_by_no_instance_through_a_rebalance_until_resumed_and_nothing_is_lost()
    {
        var (topic, group, options, ops) = Setup(partitions: 2);
        var handled = new ConcurrentQueue<(string Instance, int Partition, long Offset)>();
        await using var a = new FleetNode(Bootstrap, options, "a", handled);
        await using var b = new FleetNode(Bootstrap, options, "b", handled);
        await WaitUntil(() => a.Assigned.Count == 1 && b.Assigned.Count == 1, "each instance owns one partition");

        // The fleet view lists every instance and the owner of each partition.
        var fleet = ops.Fleet(view => view.Live(group, DateTimeOffset.UtcNow) is { Count: 2 } live && live.All(i => i.Partitions.Count == 1));
        var owners = fleet.Where(i => i.Live && i.Status.Group == group).SelectMany(i => i.Status.Partitions.Select(p => (p.Partition, i.Status.Instance))).ToDictionary();
        Assert.Equal(a.Assigned[0].Partition.Value, owners.Single(o => o.Value == "a").Key);
        Assert.Equal(b.Assigned[0].Partition.Value, owners.Single(o => o.Value == "b").Key);

        await FleetOperator.ProduceAsync(Bootstrap, topic, 0, 20, "first");
        await FleetOperator.ProduceAsync(Bootstrap, topic, 1, 20, "first");
        await WaitUntil(() => Count(handled, 0) == 20 && Count(handled, 1) == 20, "the first messages are handled");

        var paused = await ops.SendAsync(ControlKind.Pause, topic, [0], instances: ["a", "b"]);
        output.WriteLine(string.Join(Environment.NewLine, paused.Select(p => $"{p.Key}: {p.Value}")));
        Assert.Single(paused.Values, v => v.EndsWith($"held here: {topic}[0]", StringComparison.Ordinal));

        await FleetOperator.ProduceAsync(Bootstrap, topic, 0, 20, "second");
        await FleetOperator.ProduceAsync(Bootstrap, topic, 1, 20, "second");
        await WaitUntil(() => Count(handled, 1) == 40, "partition 1's second messages are handled");

        // One instance leaves: the other is assigned both partitions, and holds the paused one.
        var leaving = a.Assigned[0].Partition.Value == 0 ? a : b;
        var staying = leaving == a ? b : a;
        await leaving.StopAsync();
        await WaitUntil(() => staying.Assigned.Count == 2, "the staying instance owns both partitions");
        await FleetOperator.ProduceAsync(Bootstrap, topic, 0, 20, "third");
        await FleetOperator.ProduceAsync(Bootstrap, topic, 1, 20, "third");
        await WaitUntil(() => Count(handled, 1) == 60, "partition 1's third messages are handled");

        Assert.Equal(20, Count(handled, 0)); // nothing of partition 0 since the pause, on either instance
        var shown = ops.Fleet(view => view.Live(group, DateTimeOffset.UtcNow) is [{ Partitions.Count: 2 }]);
        var held = shown.Single(i => i.Live && i.Status.Group == group).Status.Partitions.Single(p => p.Partition == 0);
        Assert.StartsWith("operator: paused by test at ", held.Paused, StringComparison.Ordinal);

        var resumed = await ops.SendAsync(ControlKind.Resume, topic, [0], instances: [staying.Name]);
        output.WriteLine(resumed.Single().Value);
        await WaitUntil(() => Count(handled, 0) == 60, "partition 0's messages are handled once resumed");
        Assert.Equal(Enumerable.Range(0, 60).Select(o => (long)o), handled.Where(h => h.Partition == 0).Select(h => h.Offset).Order());
        await WaitUntil(() => kafka.Committed(group, topic, 2) is { } c && c[0] == 60 && c[1] == 60, "every offset is committed");
    }

    [Fact]
    public async Task A_pause_survives_a_restart_of_the_group()
    {
        var (topic, group, options, ops) = Setup(partitions: 2);
        var handled = new ConcurrentQueue<(string Instance, int Partition, long Offset)>();
        await using (var a = new FleetNode(Bootstrap, options, "a", handled))
        {
            await WaitUntil(() => a.Assigned.Count == 2, "the instance owns both partitions");
            await ops.SendAsync(ControlKind.Pause, topic, [1], instances: ["a"]);
        }

        await FleetOperator.ProduceAsync(Bootstrap, topic, 0, 10, "after");
        await FleetOperator.ProduceAsync(Bootstrap, topic, 1, 10, "after");
        await using var c = new FleetNode(Bootstrap, options, "c", handled);
        await WaitUntil(() => Count(handled, 0) == 10, "partition 0 is handled after the restart");
        var shown = ops.Fleet(view => view.Live(group, DateTimeOffset.UtcNow) is [{ Partitions.Count: 2 }]);
        Assert.Contains("paused by test", shown.Single(i => i.Live && i.Status.Group == group).Status.Partitions.Single(p => p.Partition == 1).Paused, StringComparison.Ordinal);
        Assert.Equal(0, Count(handled, 1));

        await ops.SendAsync(ControlKind.Resume, topic, instances: ["c"]);
        await WaitUntil(() => Count(handled, 1) == 10, "partition 1 is handled once resumed");
    }

    [Fact]
    public async Task A_rewind_makes_every_instance_handle_again_from_the_offset_and_commits_never_pass_an_unfinished_message()
    {
        var (topic, group, options, ops) = Setup(partitions: 2);
        var handled = new ConcurrentQueue<(string Instance, int Partition, long Offset)>();
        var rewound = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Func<MessageContext<string, string>, CancellationToken, Task> holdOnce = async (message, ct) =>
        {
            // After the rewind, partition 0's offset 15 waits until the test lets it go.
            if (Volatile.Read(ref rewound) == 1 && message.Partition == 0 && message.Offset == 15)
            {
                await release.Task.WaitAsync(ct);
            }
        };
        await using var a = new FleetNode(Bootstrap, options, "a", handled, holdOnce);
        await using var b = new FleetNode(Bootstrap, options, "b", handled, holdOnce);
        await WaitUntil(() => a.Assigned.Count == 1 && b.Assigned.Count == 1, "each instance owns one partition");
        await FleetOperator.ProduceAsync(Bootstrap, topic, 0, 30, "m");
        await FleetOperator.ProduceAsync(Bootstrap, topic, 1, 30, "m");
        await WaitUntil(() => kafka.Committed(group, topic, 2) is { } c && c[0] == 30 && c[1] == 30, "everything is handled and committed");

        Volatile.Write(ref rewound, 1);
        var before = handled.Count;
        var answers = await ops.SendAsync(ControlKind.Rewind, topic, [0, 1], offset: 10, instances: ["a", "b"]);
        output.WriteLine(string.Join(Environment.NewLine, answers.Select(p => $"{p.Key}: {p.Value}")));
        Assert.Equal(2, answers.Values.Count(v => v.StartsWith("moved ", StringComparison.Ordinal))); // each partition moved once, by its owner

        await WaitUntil(() => handled.Skip(before).Count(h => h.Partition == 1) == 20 && handled.Skip(before).Count(h => h.Partition == 0) == 19,
            "every message from offset 10 on is handled again, but the held one");
        var committed = kafka.Committed(group, topic, 2);
        Assert.InRange(committed[0], 10, 15); // never past the unfinished offset 15
        release.SetResult();
        await WaitUntil(() => kafka.Committed(group, topic, 2) is { } c && c[0] == 30 && c[1] == 30, "everything is committed again");
        Assert.Equal(Enumerable.Range(10, 20).Select(o => (long)o), handled.Skip(before).Where(h => h.Partition == 0).Select(h => h.Offset).Order());
    }

    [Fact]
    public async Task A_rewind_read_while_no_instance_owns_its_partition_is_applied_once_by_the_instance_that_takes_it_next()
    {
        var (topic, group, options, ops) = Setup(partitions: 1);
        var handled = new ConcurrentQueue<(string Instance, int Partition, long Offset)>();
        await using (var a = new FleetNode(Bootstrap, options, "a", handled))
        {
            await FleetOperator.ProduceAsync(Bootstrap, topic, 0, 10, "m");
            await WaitUntil(() => kafka.Committed(group, topic, 1) is { } c && c[0] == 10, "everything is handled and committed");
        }

        // Read by no owner: the group has no instance now. Without Until (older senders, the dashboard) a rewind is not kept for later.
        var control = options.Fleet.ControlTopic!;
        await FleetReader.SendAsync(ops.Client, control, Rewind(group, topic, offset: 2, until: null));
        await FleetReader.SendAsync(ops.Client, control, Rewind(group, topic, offset: 4, until: DateTimeOffset.UtcNow + Timeouts.Rebalance));
        await FleetOperator.ProduceAsync(Bootstrap, topic, 0, 5, "later");
        await using (var b = new FleetNode(Bootstrap, options, "b", handled))
        {
            await WaitUntil(() => kafka.Committed(group, topic, 1) is { } c && c[0] == 15, "the partition is handled from the rewind's offset to the end");
        }

        Assert.Equal(Enumerable.Range(4, 11).Select(o => (long)o), handled.Where(h => h.Instance == "b").Select(h => h.Offset).Order());

        // The next owner reads that b decided it: the rewind is not done twice.
        await FleetOperator.ProduceAsync(Bootstrap, topic, 0, 2, "last");
        await using var c = new FleetNode(Bootstrap, options, "c", handled);
        await WaitUntil(() => kafka.Committed(group, topic, 1) is { } at && at[0] == 17, "the last messages are handled");
        Assert.Equal([15L, 16], handled.Where(h => h.Instance == "c").Select(h => h.Offset).Order());
    }

    private static ControlCommand Rewind(string group, string topic, long offset, DateTimeOffset? until) =>
        new(Guid.NewGuid().ToString("N"), group, ControlKind.Rewind, "test", DateTimeOffset.UtcNow) { Topic = topic, Partitions = [0], Offset = offset, Until = until };

    [Fact]
    public async Task A_concurrency_command_changes_how_many_handlers_run_at_once_and_shows_in_the_status()
    {
        var (topic, group, options, ops) = Setup(partitions: 1);
        var running = 0;
        var most = 0;
        var handled = 0;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var processor = new KafkaProcessorBuilder<string, string>(new(Bootstrap, GroupProtocols.Properties("kip848")),
                options with { Ordering = OrderingMode.Unordered, MaxConcurrency = 16, Fleet = options.Fleet with { InstanceId = "a" } })
            .Handle(async (_, ct) =>
            {
                var now = Interlocked.Increment(ref running);
                for (var seen = Volatile.Read(ref most); now > seen && Interlocked.CompareExchange(ref most, now, seen) != seen; seen = Volatile.Read(ref most))
                {
                }

                await release.Task.WaitAsync(ct);
                Interlocked.Decrement(ref running);
                Interlocked.Increment(ref handled);
            })
            .Build();
        using var stop = new CancellationTokenSource();
        var run = processor.RunAsync(stop.Token);
        ops.Fleet(view => view.Live(group, DateTimeOffset.UtcNow).Count == 1); // live: a command from now on is answered, not replayed at its start

        var answers = await ops.SendAsync(ControlKind.Concurrency, limit: 5, instances: ["a"]);
        Assert.Equal("limit 5", answers["a"]);
        Assert.Equal(5, processor.Status.ConcurrencyLimit);

        // 30 blocking handlers' worth of messages, 16 workers: only the live limit keeps 11 of them idle.
        await FleetOperator.ProduceAsync(Bootstrap, topic, 0, 30, "m");
        var partition = new TopicPartition(topic, 0);
        await WaitUntil(() => processor.Status.BufferedMessages.GetValueOrDefault(partition) == 30 && Volatile.Read(ref running) == 5, "all 30 are fetched and 5 run");
        var shownAt = processor.Status.LastPoll;
        await WaitUntil(() => processor.Status.LastPoll > shownAt, "the poll loop went round again with the 25 others ready");
        Assert.Equal(5, Volatile.Read(ref most));
        Assert.Contains(ops.Fleet(view => view.Live(group, DateTimeOffset.UtcNow) is [{ Concurrency: 5 }]), i => i.Live && i.Status.Concurrency == 5);

        release.SetResult();
        await WaitUntil(() => Volatile.Read(ref handled) == 30, "every message is handled");
        Assert.Equal(5, Volatile.Read(ref most));
        await stop.CancelAsync();
        await run.WaitAsync(Timeouts.Stop);
    }

    private (string Topic, string Group, ProcessorOptions Options, FleetOperator Operator) Setup(int partitions)
    {
        var fleet = FleetTopics.Create(kafka, partitions);
        var group = Names.Unique("group");
        return (fleet.Topic, group, fleet.Options(group, commitInterval: TimeSpan.FromMilliseconds(100)), new FleetOperator(Bootstrap, group, fleet.Control, fleet.Status));
    }

    private static int Count(ConcurrentQueue<(string Instance, int Partition, long Offset)> handled, int partition) => handled.Count(h => h.Partition == partition);

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Timeouts.Rebalance;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"timed out waiting until {what}; {string.Join("; ", FleetNode.All.Select(n => $"{n.Name}: {n.Processor.Status} {n.Run.Exception?.InnerException?.Message}"))}");
            await Task.Delay(50);
        }
    }
}
