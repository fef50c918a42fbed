using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Engine;
using Conveyor.TestSupport;

namespace Conveyor.Tests.Processing;

/// <summary>A worker's next take, which also ends its previous message (one lock for both).</summary>
public class DispatcherTakeTests
{
    private static readonly TopicPartition P0 = new("takes", 0);

    [Fact]
    public async Task A_workers_next_take_hands_its_message_off_and_starts_the_next_one_of_its_key()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        var items = SubmitOneKey(dispatcher, partition, 2);
        var waiter = new ReadyWaiter();
        await TakeAndStartAsync(dispatcher, waiter, items[0]);

        var next = dispatcher.TakeNextAsync(waiter, items[0], PreviousTake.HandOff);

        Assert.True(next.IsCompletedSuccessfully);
        Assert.Same(items[1], await next); // the key's lane moved on with the hand-off
        Assert.True(waiter.Started);
        Assert.Equal(2, partition.Work.Running); // the handed-off message runs until its acknowledgement, beside the next
        Assert.Equal(1, dispatcher.Taken); // the first take ended, the second began
        Assert.Equal(0, dispatcher.Committable(partition));
    }

    [Fact]
    public async Task A_message_finished_with_the_next_take_is_committable_and_leaves_nothing_running()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        var items = SubmitOneKey(dispatcher, partition, 2);
        var waiter = new ReadyWaiter();
        await TakeAndStartAsync(dispatcher, waiter, items[0]);

        var next = dispatcher.TakeNextAsync(waiter, items[0], PreviousTake.Finish);
        Assert.True(next.IsCompletedSuccessfully); // the key's lane moved on with the finish
        Assert.Same(items[1], await next);
        Assert.Equal(1, dispatcher.Committable(partition));
        var last = dispatcher.TakeNextAsync(waiter, items[1], PreviousTake.Finish);

        Assert.False(last.IsCompleted); // nothing more is ready: the worker waits
        Assert.Equal(2, dispatcher.Committable(partition));
        Assert.Equal(0, partition.Work.Running);
        Assert.Equal(0, dispatcher.Taken);
        Assert.Equal(0, dispatcher.Buffered);
        Assert.Equal(0, dispatcher.BusyLanes);
    }

    [Fact]
    public async Task A_worker_that_waited_for_its_next_take_starts_the_message_itself()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        var first = SubmitOneKey(dispatcher, partition, 1)[0];
        var waiter = new ReadyWaiter();
        await TakeAndStartAsync(dispatcher, waiter, first);
        var next = dispatcher.TakeNextAsync(waiter, first, PreviousTake.Finish);
        Assert.False(next.IsCompleted);

        var second = WorkItems.Of(partition, 1, "other-key", "", OrderingMode.Key);
        dispatcher.Submit(second);

        Assert.Same(second, await next);
        Assert.False(waiter.Started); // handed over by the submit, not started under it
        Assert.Equal(0, partition.Work.Running);
        Assert.True(dispatcher.TryStart(second));
    }

    [Fact]
    public async Task A_take_released_already_is_not_released_again()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        var items = SubmitOneKey(dispatcher, partition, 2);
        var waiter = new ReadyWaiter();
        await TakeAndStartAsync(dispatcher, waiter, items[0]);
        dispatcher.Finish(items[0], finished: false, release: true); // unfinished: the key's follower is dropped with it

        var next = dispatcher.TakeNextAsync(waiter, items[0], PreviousTake.Released);

        Assert.False(next.IsCompleted);
        Assert.Equal(0, dispatcher.Taken);
        Assert.Equal(0, dispatcher.Committable(partition));
    }

    [Fact]
    public async Task A_workers_end_without_a_take_hands_its_message_off_and_gives_the_next_of_its_key_to_an_idle_worker()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        var items = SubmitOneKey(dispatcher, partition, 2);
        var waiter = new ReadyWaiter();
        await TakeAndStartAsync(dispatcher, waiter, items[0]);
        var idle = dispatcher.TakeAsync(new ReadyWaiter());
        Assert.False(idle.IsCompleted); // the key's next waits behind the running one

        dispatcher.End(items[0], PreviousTake.HandOff); // its worker waits for room before its next take

        Assert.True(idle.IsCompleted);
        Assert.Same(items[1], await idle);
        Assert.Equal(1, dispatcher.Taken); // the ended take is over; the idle worker's began
        Assert.Equal(1, partition.Work.Running); // the handed-off message runs until its acknowledgement; the idle worker starts its own
        Assert.Equal(0, dispatcher.Committable(partition));
    }

    /// <summary>A plain take of <paramref name="expected"/>, which leaves the start to the worker, then the worker's start.</summary>
    private static async Task TakeAndStartAsync(Dispatcher dispatcher, ReadyWaiter waiter, WorkItem expected)
    {
        Assert.Same(expected, await dispatcher.TakeAsync(waiter));
        Assert.False(waiter.Started);
        Assert.True(dispatcher.TryStart(expected));
    }

    private static List<WorkItem> SubmitOneKey(Dispatcher dispatcher, PartitionState partition, int count)
    {
        var items = Enumerable.Range(0, count).Select(i => WorkItems.Of(partition, i, "same-key", "", OrderingMode.Key)).ToList();
        dispatcher.Submit(items);
        return items;
    }
}
