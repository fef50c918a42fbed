using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Engine;

namespace Conveyor.Tests.Processing;

/// <summary>The dispatcher serving partitions in turn, so one partition's whole fetch does not hold the others back.</summary>
public partial class DispatcherTests
{
    [Fact]
    public void Partitions_each_with_a_whole_fetch_ready_are_served_in_turn_not_one_after_the_other()
    {
        // A real broker's fetch brings thousands of messages of one partition; both arrive in one batch.
        var dispatcher = new Dispatcher();
        var p0 = new PartitionState(P0);
        var p1 = new PartitionState(new TopicPartition("t", 1));
        dispatcher.Submit([.. Fetch(p0, 1_000), .. Fetch(p1, 1_000)]);

        var started = new List<WorkItem>();
        for (var i = 0; i < 100; i++)
        {
            Assert.True(dispatcher.TryTake(out var item));
            Start(dispatcher, item);
            started.Add(item);
        }

        Assert.Equal(Enumerable.Range(0, 100).Select(i => i % 2 == 0 ? P0 : p1.TopicPartition), started.Select(s => s.Partition.TopicPartition));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), started.Where(s => s.Partition == p1).Select(s => s.Offset)); // in offset order within each
        Assert.Equal(950, p0.Work.Waiting);
    }

    [Fact]
    public async Task Idle_workers_woken_by_a_batch_take_its_partitions_in_turn()
    {
        var dispatcher = new Dispatcher();
        var p0 = new PartitionState(P0);
        var p1 = new PartitionState(new TopicPartition("t", 1));
        var waiting = Enumerable.Range(0, 4).Select(_ => dispatcher.TakeAsync(new ReadyWaiter()).AsTask()).ToList();
        Assert.All(waiting, w => Assert.False(w.IsCompleted));

        dispatcher.Submit([.. Fetch(p0, 100), .. Fetch(p1, 100)]);
        var taken = await Task.WhenAll(waiting);

        Assert.Equal(2, taken.Count(t => t!.Partition == p0));
        Assert.Equal(2, taken.Count(t => t!.Partition == p1));
    }

    [Fact]
    public void A_retry_resumed_behind_another_partitions_whole_fetch_runs_in_its_partitions_turn()
    {
        var dispatcher = new Dispatcher();
        var main = new PartitionState(P0);
        var retries = new PartitionState(new TopicPartition("t-retry-1", 0));
        var retry = Item(retries, 0, "k", OrderingMode.Key);
        dispatcher.Submit(retry);
        Assert.True(dispatcher.TryTake(out var first));
        Start(dispatcher, first);
        dispatcher.Suspend(retry);
        dispatcher.Submit(Fetch(main, 1_000));

        Assert.True(dispatcher.Resume(retry, drop: false));

        Assert.True(dispatcher.TryTake(out _)); // the main partition's turn came first
        Assert.True(dispatcher.TryTake(out var next));
        Assert.Same(retry, next);
    }
}
