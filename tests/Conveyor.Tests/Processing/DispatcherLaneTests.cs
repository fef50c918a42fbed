using Confluent.Kafka;
using Conveyor.Processing.Engine;
using Conveyor.TestSupport;

namespace Conveyor.Tests.Processing;

/// <summary>The ordering lanes: order within a lane, what is dropped with a message, what the dispatcher keeps once their messages are done, and what a message's end costs.</summary>
public class DispatcherLaneTests
{
    private static readonly TopicPartition P0 = new("lanes", 0);

    [Fact]
    public void Distinct_keys_leave_no_lane_once_their_messages_are_done()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        var items = Enumerable.Range(0, 1_000).Select(i => Item(partition, i, $"key-{i}")).ToList();
        dispatcher.Submit(items);
        Assert.Equal(1_000, dispatcher.BusyLanes);

        RunAll(dispatcher);

        Assert.Equal(0, dispatcher.BusyLanes);
    }

    [Fact]
    public void Keys_with_followers_run_in_offset_order_and_leave_nothing_behind()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        var items = Enumerable.Range(0, 3_000).Select(i => Item(partition, i, $"key-{i % 1_000}")).ToList();
        dispatcher.Submit(items);
        Assert.Equal(1_000, dispatcher.BusyLanes);

        var ran = RunAll(dispatcher);

        Assert.Equal(3_000, ran.Count);
        foreach (var lane in ran.GroupBy(item => item.Offset % 1_000))
        {
            Assert.Equal([lane.Key, lane.Key + 1_000, lane.Key + 2_000], lane.Select(item => item.Offset));
        }

        Assert.Equal(0, dispatcher.BusyLanes);
        Assert.All(items, item => Assert.Null(item.NextInLane)); // a done message keeps none of its lane alive
        Assert.Equal(0, dispatcher.Buffered);
    }

    [Fact]
    public void A_message_left_unfinished_drops_the_messages_behind_it_in_its_lane_only()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        var failed = Item(partition, 0, "a");
        var other = Item(partition, 1, "b");
        var behind = Item(partition, 2, "a");
        var last = Item(partition, 3, "a");
        dispatcher.Submit([failed, other, behind, last]);
        Assert.True(dispatcher.TryTake(out var taken));
        Assert.Same(failed, taken);
        Assert.True(dispatcher.TryStart(failed));

        dispatcher.Finish(failed, finished: false); // a lane never runs past an unfinished message

        Assert.True(dispatcher.TryTake(out taken));
        Assert.Same(other, taken);
        Assert.False(dispatcher.TryTake(out _)); // the two behind the failed one were dropped
        Assert.Equal(1, dispatcher.Buffered);
        Assert.Equal(1, dispatcher.BusyLanes);
        Assert.True(dispatcher.TryStart(other));
        dispatcher.Finish(other, finished: true);
        Assert.Equal(0, dispatcher.BusyLanes);
        Assert.Equal((long?)0, dispatcher.Committable(partition)); // the failed message holds the commit
    }

    [Fact]
    public void A_lane_skips_the_messages_behind_it_of_a_stopped_partition_and_is_freed()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        var running = Item(partition, 0, "a");
        dispatcher.Submit([running, Item(partition, 1, "a"), Item(partition, 2, "a")]);
        Assert.True(dispatcher.TryTake(out var taken));
        Assert.True(dispatcher.TryStart(taken));

        dispatcher.Stop(partition);
        dispatcher.Finish(running, finished: true);

        Assert.False(dispatcher.TryTake(out _));
        Assert.Equal(0, dispatcher.BusyLanes);
        Assert.Equal(0, dispatcher.Buffered);
    }

    [Fact]
    public void A_lane_keeps_its_order_when_its_queue_empties_and_fills_again()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        var first = Item(partition, 0, "same");
        var second = Item(partition, 1, "same");
        dispatcher.Submit([first, second]);
        Assert.True(dispatcher.TryTake(out var taken));
        Assert.Same(first, taken);
        Assert.True(dispatcher.TryStart(first));
        dispatcher.Finish(first, finished: true); // the follower takes the lane; its queue is empty now
        var third = Item(partition, 2, "same");
        dispatcher.Submit(third);

        Assert.True(dispatcher.TryTake(out taken));
        Assert.Same(second, taken);
        Assert.False(dispatcher.TryTake(out _)); // the third waits behind the second
        Assert.True(dispatcher.TryStart(second));
        dispatcher.Finish(second, finished: true);
        Assert.True(dispatcher.TryTake(out taken));
        Assert.Same(third, taken);
    }

    [Fact]
    public async Task Finishing_a_message_with_its_release_frees_the_worker_slot_in_the_same_step()
    {
        var dispatcher = new Dispatcher();
        dispatcher.SetLimit(1);
        var partition = new PartitionState(P0);
        var first = Item(partition, 0, "a");
        var second = Item(partition, 1, "b");
        dispatcher.Submit([first, second]);
        var waiter = new ReadyWaiter(dispatcher.Runtime);
        Assert.Same(first, await dispatcher.TakeAsync(waiter));
        Assert.True(dispatcher.TryStart(first));
        var next = dispatcher.TakeAsync(new ReadyWaiter(dispatcher.Runtime));
        Assert.False(next.IsCompleted); // the limit of one is taken

        dispatcher.Finish(first, finished: true, release: true);

        Assert.True(next.IsCompleted); // handed over by the finish, no separate release needed
        Assert.Equal(1, dispatcher.Taken); // the second holds the one slot now
        Assert.Same(second, await next);
    }

    private static List<WorkItem> RunAll(Dispatcher dispatcher)
    {
        var ran = new List<WorkItem>();
        while (dispatcher.TryTake(out var item))
        {
            Assert.True(dispatcher.TryStart(item));
            dispatcher.Finish(item, finished: true);
            ran.Add(item);
        }

        return ran;
    }

    private static WorkItem Item(PartitionState partition, long offset, string key) => WorkItems.Of(partition, offset, key);
}
