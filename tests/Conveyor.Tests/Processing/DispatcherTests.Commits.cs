using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Engine;

namespace Conveyor.Tests.Processing;

/// <summary>The dispatcher and the commit: what holds the committable offset back (slow, unfinished, handed-off and suspended messages).</summary>
public partial class DispatcherTests
{
    [Fact]
    public void The_committable_offset_waits_for_a_slow_message_however_many_finish_after_it()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        var items = Enumerable.Range(0, 5).Select(i => Item(partition, i, $"k{i}", OrderingMode.Key)).ToList();
        items.ForEach(dispatcher.Submit);
        items.ForEach(i => Start(dispatcher, i));

        foreach (var item in items.Skip(1))
        {
            dispatcher.Finish(item, finished: true);
        }

        Assert.Equal(0, dispatcher.Committable(partition));
        dispatcher.Finish(items[0], finished: true);
        Assert.Equal(5, dispatcher.Committable(partition));
    }

    [Fact]
    public void A_message_left_unfinished_holds_the_commit_back()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        var items = Enumerable.Range(0, 3).Select(i => Item(partition, i, $"k{i}", OrderingMode.Key)).ToList();
        items.ForEach(dispatcher.Submit);
        items.ForEach(i => Start(dispatcher, i));

        dispatcher.Finish(items[0], finished: true);
        dispatcher.Finish(items[1], finished: false);
        dispatcher.Finish(items[2], finished: true);

        Assert.Equal(1, dispatcher.Committable(partition));
    }

    [Fact]
    public void A_handed_off_message_frees_its_lane_but_holds_its_offset_and_the_drain_until_it_finishes()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        var items = SubmitOneKey(dispatcher, partition, 2);
        Assert.Equal([0L], ReadyOffsets(dispatcher));
        Start(dispatcher, items[0]);

        dispatcher.HandOff(items[0]);
        Assert.Equal([1L], ReadyOffsets(dispatcher)); // the key's next message may run
        Start(dispatcher, items[1]);
        dispatcher.Finish(items[1], finished: true);
        Assert.Equal(0, dispatcher.Committable(partition)); // offset 0 still waits for its acknowledgement
        var drained = dispatcher.DrainAsync([partition]);
        Assert.False(drained.IsCompleted);

        dispatcher.Finish(items[0], finished: true);
        Assert.Equal(2, dispatcher.Committable(partition));
        Assert.True(drained.IsCompleted);
        Assert.Empty(ReadyOffsets(dispatcher)); // finishing a handed-off message does not advance its lane twice
        Assert.Equal(0, dispatcher.Buffered);
    }

    [Fact]
    public void A_suspended_message_lets_a_drain_complete_keeps_its_lane_and_runs_again_first_when_resumed()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        var items = SubmitOneKey(dispatcher, partition, 2);
        Assert.Equal([0L], ReadyOffsets(dispatcher));
        Start(dispatcher, items[0]);

        dispatcher.Suspend(items[0]);
        Assert.Empty(ReadyOffsets(dispatcher)); // its key waits
        Assert.Equal(0, partition.Work.Running);

        Assert.True(dispatcher.Resume(items[0], drop: false));
        Assert.Equal([0L], ReadyOffsets(dispatcher));
        Start(dispatcher, items[0]);
        dispatcher.Finish(items[0], finished: true);
        Assert.Equal([1L], ReadyOffsets(dispatcher));
    }

    [Fact]
    public void A_message_that_ends_unfinished_drops_the_rest_of_its_lane_instead_of_running_past_it()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        var items = SubmitOneKey(dispatcher, partition, 3);
        Assert.Equal([0L], ReadyOffsets(dispatcher));
        Start(dispatcher, items[0]);

        dispatcher.Finish(items[0], finished: false);
        Assert.Empty(ReadyOffsets(dispatcher));
        Assert.Equal(0, dispatcher.Buffered);
        Assert.Equal(0, dispatcher.Committable(partition));

        // A suspended message dropped at a stop drops its lane too.
        var other = new PartitionState(new TopicPartition("t", 1));
        var more = Enumerable.Range(0, 2).Select(i => Item(other, i, "k", OrderingMode.Key)).ToList();
        more.ForEach(dispatcher.Submit);
        Assert.Equal([0L], ReadyOffsets(dispatcher));
        Start(dispatcher, more[0]);
        dispatcher.Suspend(more[0]);
        Assert.False(dispatcher.Resume(more[0], drop: true));
        Assert.Empty(ReadyOffsets(dispatcher));
        Assert.Equal(0, dispatcher.Buffered);
    }
}
