using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Engine;
using Conveyor.TestSupport;

namespace Conveyor.Tests.Processing;

/// <summary>The dispatcher's lanes: which messages are ready together, in what order, and the buffer they fill; the other concerns are in DispatcherTests.*.cs.</summary>
public partial class DispatcherTests
{
    private static readonly TopicPartition P0 = new("t", 0);

    [Fact]
    public void A_lane_runs_one_message_at_a_time_in_offset_order()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        var items = SubmitOneKey(dispatcher, partition, 3);

        Assert.Equal([0L], ReadyOffsets(dispatcher));
        Start(dispatcher, items[0]);
        Assert.Empty(ReadyOffsets(dispatcher));

        dispatcher.Finish(items[0], finished: true);
        Assert.Equal([1L], ReadyOffsets(dispatcher));
    }

    [Fact]
    public void Different_keys_are_ready_together_in_key_mode_but_not_in_partition_mode()
    {
        var keyed = new Dispatcher();
        var byPartition = new Dispatcher();
        var p1 = new PartitionState(P0);
        var p2 = new PartitionState(P0);
        for (var i = 0; i < 4; i++)
        {
            keyed.Submit(Item(p1, i, $"key-{i}", OrderingMode.Key));
            byPartition.Submit(Item(p2, i, $"key-{i}", OrderingMode.Partition));
        }

        Assert.Equal([0L, 1, 2, 3], ReadyOffsets(keyed));
        Assert.Equal([0L], ReadyOffsets(byPartition));
    }

    [Fact]
    public void Unordered_messages_are_all_ready_at_once_even_with_one_key()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        for (var i = 0; i < 4; i++)
        {
            dispatcher.Submit(Item(partition, i, "k", OrderingMode.Unordered));
        }

        Assert.Equal([0L, 1, 2, 3], ReadyOffsets(dispatcher));
    }

    [Fact]
    public void Buffer_counts_follow_messages_in_and_out()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        var item = Item(partition, 0, "key", OrderingMode.Key, value: "12345");
        dispatcher.Submit(item);
        Assert.Equal((1, 8L), (dispatcher.Buffered, dispatcher.BufferedBytes));

        Start(dispatcher, item);
        dispatcher.Finish(item, finished: true);

        Assert.Equal((0, 0L), (dispatcher.Buffered, dispatcher.BufferedBytes));
    }

    [Fact]
    public void A_batch_is_submitted_in_order_like_single_messages()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        dispatcher.Submit([Item(partition, 0, "a", OrderingMode.Key), Item(partition, 1, "a", OrderingMode.Key), Item(partition, 2, "b", OrderingMode.Key)]);

        Assert.Equal(3, dispatcher.Buffered);
        Assert.Equal([0L, 2], ReadyOffsets(dispatcher));
        Assert.Equal(0, dispatcher.Committable(partition));
    }

    [Fact]
    public async Task Waiting_for_room_returns_once_finished_messages_bring_the_buffer_down()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        var items = Enumerable.Range(0, 4).Select(i => Item(partition, i, $"key-{i}", OrderingMode.Key)).ToList();
        dispatcher.Submit(items);
        Assert.True(dispatcher.WaitForRoom(4, long.MaxValue, TimeSpan.Zero));
        Assert.False(dispatcher.WaitForRoom(1, long.MaxValue, TimeSpan.Zero));

        var finishing = Task.Run(() => items.Take(3).ToList().ForEach(item =>
        {
            Start(dispatcher, item);
            dispatcher.Finish(item, finished: true);
        }));

        Assert.True(dispatcher.WaitForRoom(1, long.MaxValue, TimeSpan.FromMinutes(1)));
        await finishing;
        Assert.Equal(1, dispatcher.Buffered);
    }

    private static List<WorkItem> Fetch(PartitionState partition, int count) =>
        [.. Enumerable.Range(0, count).Select(i => Item(partition, i, $"k{i}", OrderingMode.Key))];

    /// <summary>Submits <paramref name="count"/> messages of one key, offsets 0 up, to the partition.</summary>
    private static List<WorkItem> SubmitOneKey(Dispatcher dispatcher, PartitionState partition, int count)
    {
        var items = Enumerable.Range(0, count).Select(i => Item(partition, i, "same-key", OrderingMode.Key)).ToList();
        items.ForEach(dispatcher.Submit);
        return items;
    }

    private static void Start(Dispatcher dispatcher, WorkItem item) => Assert.True(dispatcher.TryStart(item));

    private static List<long> ReadyOffsets(Dispatcher dispatcher)
    {
        var offsets = new List<long>();
        while (dispatcher.TryTake(out var item))
        {
            offsets.Add(item.Offset);
        }

        return offsets;
    }

    private static WorkItem Item(PartitionState partition, long offset, string key, OrderingMode mode, string value = "") =>
        WorkItems.Of(partition, offset, key, value, mode);
}
