using Confluent.Kafka;
using Conveyor.Processing.Engine;
using Conveyor.TestSupport;

namespace Conveyor.Tests.Processing;

/// <summary>What the dispatcher keeps of its ordering lanes once their messages are done, and what a message's end costs.</summary>
public class DispatcherLaneTests
{
    private static readonly TopicPartition P0 = new("lanes", 0);

    [Fact]
    public void Distinct_keys_leave_no_lane_and_take_no_queue()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        var items = Enumerable.Range(0, 1_000).Select(i => Item(partition, i, $"key-{i}")).ToList();
        dispatcher.Submit(items);
        Assert.Equal(1_000, dispatcher.BusyLanes);

        RunAll(dispatcher);

        // A lane with nothing behind its message needs no queue: none was made, so none is kept.
        Assert.Equal(0, dispatcher.BusyLanes);
        Assert.Equal(0, dispatcher.SpareLaneQueues);
    }

    [Fact]
    public void Keys_with_followers_keep_at_most_a_bounded_number_of_queues_after_their_messages_are_done()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        var items = Enumerable.Range(0, 2_000).Select(i => Item(partition, i, $"key-{i % 1_000}")).ToList();
        dispatcher.Submit(items);

        RunAll(dispatcher);

        Assert.Equal(0, dispatcher.BusyLanes);
        Assert.Equal(Dispatcher.MaxSpareQueues, dispatcher.SpareLaneQueues); // not one per key: 1,000 lanes had a follower
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

    private static void RunAll(Dispatcher dispatcher)
    {
        while (dispatcher.TryTake(out var item))
        {
            Assert.True(dispatcher.TryStart(item));
            dispatcher.Finish(item, finished: true);
        }
    }

    private static WorkItem Item(PartitionState partition, long offset, string key) => WorkItems.Of(partition, offset, key);
}
