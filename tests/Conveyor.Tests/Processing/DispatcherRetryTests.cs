using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Engine;
using Conveyor.TestSupport;

namespace Conveyor.Tests.Processing;

/// <summary>
/// A failed message back from its back-off (<see cref="Dispatcher.Resume"/>) holds its partition's
/// commit: it runs before the partition's messages that became ready after it.
/// </summary>
public class DispatcherRetryTests
{
    private static readonly TopicPartition P0 = new("retries", 0);

    [Fact]
    public void A_resumed_message_runs_ahead_of_its_partitions_messages_fetched_during_its_back_off()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        Submit(dispatcher, partition, 0, 3);
        Assert.True(dispatcher.TryTake(out var failed));
        Assert.True(dispatcher.TryStart(failed));
        dispatcher.Suspend(failed);
        Submit(dispatcher, partition, 3, 5); // fetched while it waits out its back-off

        Assert.True(dispatcher.Resume(failed, drop: false));

        Assert.Equal([0L, 1, 2, 3, 4, 5, 6, 7], ReadyOffsets(dispatcher));
        Assert.Equal(0, dispatcher.Committable(partition)); // what it held back: nothing past it commits until it runs
    }

    [Fact]
    public void Messages_resumed_together_run_lowest_offset_first()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        Submit(dispatcher, partition, 0, 4);
        var failed = new List<WorkItem>();
        for (var i = 0; i < 2; i++)
        {
            Assert.True(dispatcher.TryTake(out var item));
            Assert.True(dispatcher.TryStart(item));
            dispatcher.Suspend(item);
            failed.Add(item);
        }

        Assert.True(dispatcher.Resume(failed[1], drop: false)); // the shorter back-off ends first
        Assert.True(dispatcher.Resume(failed[0], drop: false));

        Assert.Equal([0L, 1, 2, 3], ReadyOffsets(dispatcher));
    }

    [Fact]
    public void A_resumed_message_waits_for_its_partitions_turn_behind_other_partitions()
    {
        var dispatcher = new Dispatcher();
        var p0 = new PartitionState(P0);
        var p1 = new PartitionState(new TopicPartition("retries", 1));
        Submit(dispatcher, p0, 0, 2);
        Assert.True(dispatcher.TryTake(out var failed));
        Assert.True(dispatcher.TryStart(failed));
        dispatcher.Suspend(failed);
        Submit(dispatcher, p1, 0, 2);

        Assert.True(dispatcher.Resume(failed, drop: false));

        // p0's turn (offset 1 was ready) came before p1's; the retry takes p0's next turn.
        Assert.Equal([(0, 0L), (1, 0), (0, 1), (1, 1)], Taken(dispatcher));
    }

    private static void Submit(Dispatcher dispatcher, PartitionState partition, long from, int count) =>
        dispatcher.Submit([.. Enumerable.Range(0, count).Select(i => WorkItems.Of(partition, from + i, "k", string.Empty, OrderingMode.Unordered))]);

    private static List<long> ReadyOffsets(Dispatcher dispatcher) => [.. Taken(dispatcher).Select(t => t.Offset)];

    private static List<(int Partition, long Offset)> Taken(Dispatcher dispatcher)
    {
        var taken = new List<(int, long)>();
        while (dispatcher.TryTake(out var item))
        {
            taken.Add((item.Partition.TopicPartition.Partition.Value, item.Offset));
        }

        return taken;
    }
}
