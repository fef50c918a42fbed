using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Engine;
using Conveyor.TestSupport;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>
/// A thread serving a batch of acknowledgements (the output producer's delivery thread) holds its
/// finishes back and finishes them under one lock when the batch was served
/// (Dispatcher.Completions.cs): until then they count as running and unfinished.
/// </summary>
public class HeldBackFinishesTests
{
    private static readonly TopicPartition P0 = new("t", 0);

    [Fact]
    public void A_batch_finishing_messages_out_of_offset_order_lets_the_commit_pass_only_the_finished_prefix_once_served()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        var items = Started(dispatcher, partition, 5);

        Dispatcher.HoldFinishesBack();
        try
        {
            dispatcher.Finish(items[2], finished: true);
            dispatcher.Finish(items[0], finished: true);
            dispatcher.Finish(items[4], finished: true);
            Assert.Equal(0, dispatcher.Committable(partition)); // held back: still unfinished
        }
        finally
        {
            Dispatcher.FinishHeldBack();
        }

        Assert.Equal(1, dispatcher.Committable(partition)); // 1 and 3 still run
        dispatcher.Finish(items[1], finished: true); // after the batch: at once
        Assert.Equal(3, dispatcher.Committable(partition));
        dispatcher.Finish(items[3], finished: true);
        Assert.Equal(5, dispatcher.Committable(partition));
    }

    [Fact]
    public void A_drain_waits_for_finishes_held_back_until_the_batch_was_served()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        var items = Started(dispatcher, partition, 2);
        var drained = dispatcher.DrainAsync([partition]);

        Dispatcher.HoldFinishesBack();
        try
        {
            items.ForEach(item => dispatcher.Finish(item, finished: true));
            Assert.False(drained.IsCompleted);
        }
        finally
        {
            Dispatcher.FinishHeldBack();
        }

        Assert.True(drained.IsCompletedSuccessfully);
        Assert.Equal(2, dispatcher.Committable(partition));
    }

    [Fact]
    public async Task Only_the_thread_serving_a_batch_holds_its_finishes_back_and_failures_go_at_once()
    {
        var dispatcher = new Dispatcher();
        var partition = new PartitionState(P0);
        var items = Started(dispatcher, partition, 3);

        Dispatcher.HoldFinishesBack();
        try
        {
            await Task.Factory.StartNew(() => dispatcher.Finish(items[0], finished: true), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            Assert.Equal(1, dispatcher.Committable(partition));

            dispatcher.Finish(items[1], finished: false); // unfinished: holds the commit back at once
            dispatcher.Finish(items[2], finished: true);
            Assert.Equal(1, dispatcher.Committable(partition));
        }
        finally
        {
            Dispatcher.FinishHeldBack();
        }

        Assert.Equal(1, dispatcher.Committable(partition));
        Assert.Equal(0, dispatcher.Buffered);
    }

    /// <summary><paramref name="count"/> messages of distinct keys, all taken by workers and running.</summary>
    private static List<WorkItem> Started(Dispatcher dispatcher, PartitionState partition, int count)
    {
        var items = Enumerable.Range(0, count).Select(i => WorkItems.Of(partition, i, $"k{i}", "", OrderingMode.Key)).ToList();
        items.ForEach(dispatcher.Submit);
        var taken = new List<WorkItem>();
        while (dispatcher.TryTake(out var item))
        {
            Assert.True(dispatcher.TryStart(item));
            taken.Add(item);
        }

        Assert.Equal(items, taken);
        return items;
    }
}
