using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Engine;

namespace Conveyor.Tests.Processing;

/// <summary>The dispatcher draining and stopping: waiting messages dropped, running ones awaited, stopped partitions skipped, workers told to end.</summary>
public partial class DispatcherTests
{
    [Fact]
    public void Draining_drops_waiting_messages_and_completes_when_running_ones_finish()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        var items = Enumerable.Range(0, 3).Select(i => Item(partition, i, "k", OrderingMode.Key)).ToList();
        items.ForEach(dispatcher.Submit);
        Assert.Equal([0L], ReadyOffsets(dispatcher));
        Start(dispatcher, items[0]);

        var drained = dispatcher.DrainAsync([partition]);
        Assert.False(drained.IsCompleted);

        dispatcher.Finish(items[0], finished: true);
        Assert.True(drained.IsCompletedSuccessfully);
        Assert.Empty(ReadyOffsets(dispatcher)); // the two waiting ones were dropped, not made ready
        Assert.Equal(1, dispatcher.Committable(partition));
        Assert.Equal(0, dispatcher.Buffered);
        Assert.Equal(0, partition.Buffered);
    }

    [Fact]
    public void A_ready_message_of_a_stopped_partition_does_not_start()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        var item = Item(partition, 0, "k", OrderingMode.Key);
        dispatcher.Submit(item);

        Assert.True(dispatcher.TryTake(out var taken)); // taken by a worker, not yet started

        dispatcher.Stop(partition);

        Assert.False(dispatcher.TryStart(taken));
        Assert.Equal(0, dispatcher.Committable(partition));
    }

    [Fact]
    public async Task A_waiting_worker_is_told_to_end_once_the_dispatcher_completes()
    {
        var dispatcher = new Dispatcher();
        var waiting = dispatcher.TakeAsync(new ReadyWaiter()).AsTask();
        Assert.False(waiting.IsCompleted);

        dispatcher.Complete();

        Assert.Null(await waiting);
        Assert.Null(await dispatcher.TakeAsync(new ReadyWaiter()));
    }

    [Fact]
    public void A_drained_partitions_ready_messages_are_dropped_at_once_and_the_others_still_served()
    {
        var dispatcher = new Dispatcher();
        var p0 = new PartitionState(P0);
        var p1 = new PartitionState(new TopicPartition("t", 1));
        dispatcher.Submit([.. Fetch(p0, 10), .. Fetch(p1, 10)]);

        Assert.True(dispatcher.DrainAsync([p0]).IsCompletedSuccessfully);

        Assert.Equal((0, 0), (p0.Buffered, p0.Work.Waiting)); // its buffer share is free for others now
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), ReadyOffsets(dispatcher));
        Assert.Equal(10, dispatcher.Buffered);
    }
}
