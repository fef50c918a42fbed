using Confluent.Kafka;
using Conveyor.Processing.Batching;
using Conveyor.Processing.Engine;
using Conveyor.TestSupport;

namespace Conveyor.Tests.Processing.Batching;

/// <summary>The dispatcher handing out runs of one partition's ready messages (batches), without workers.</summary>
public class DispatcherRunTests
{
    private static readonly BatchOptions FourAtOnce = new() { MaxMessages = 4, MaxWait = TimeSpan.FromHours(1) };

    [Fact]
    public async Task A_run_holds_one_partitions_messages_in_offset_order_however_partitions_arrive_interleaved()
    {
        var dispatcher = new Dispatcher(FourAtOnce);
        var p0 = Partition(0);
        var p1 = Partition(1);
        dispatcher.Submit([.. Enumerable.Range(0, 8).SelectMany(i => new[] { Item(p0, i), Item(p1, i) })]);

        var first = await TakeRunAsync(dispatcher);
        var second = await TakeRunAsync(dispatcher);

        Assert.Equal([(0, 0L), (0, 1), (0, 2), (0, 3)], first);
        Assert.Equal([(1, 0L), (1, 1), (1, 2), (1, 3)], second);
    }

    [Fact]
    public async Task A_run_is_bounded_by_the_batchs_message_count_and_bytes()
    {
        var dispatcher = new Dispatcher(new BatchOptions { MaxMessages = 3, MaxBytes = 25, MaxWait = TimeSpan.FromHours(1) });
        var p0 = Partition(0);
        var p1 = Partition(1);
        dispatcher.Submit([.. Enumerable.Range(0, 5).Select(i => Item(p0, i))]);
        dispatcher.Submit([.. Enumerable.Range(0, 5).Select(i => Item(p1, i, new string('x', 10)))]); // 11 bytes each with the key

        Assert.Equal([0L, 1, 2], (await TakeRunAsync(dispatcher)).Select(m => m.Offset));
        Assert.Equal([0L, 1], (await TakeRunAsync(dispatcher)).Select(m => m.Offset)); // a third would pass 25 bytes
    }

    [Fact]
    public async Task A_partition_runs_one_run_at_a_time_and_its_next_run_continues_where_the_last_ended()
    {
        var dispatcher = new Dispatcher(FourAtOnce);
        var p0 = Partition(0);
        dispatcher.Submit([.. Enumerable.Range(0, 10).Select(i => Item(p0, i))]);
        var waiter = new ReadyWaiter();
        Assert.NotNull(await dispatcher.TakeAsync(waiter));
        var run = waiter.Run;
        Assert.True(dispatcher.TryStartRun(run));

        dispatcher.Submit([.. Enumerable.Range(10, 4).Select(i => Item(p0, i))]);
        var next = dispatcher.TakeAsync(new ReadyWaiter()).AsTask();
        Assert.False(next.IsCompleted); // ten more are ready, some arrived during the run, but the partition's run is on

        dispatcher.EndRun(run, run.Count, failed: null);
        Assert.Equal(4L, (await next.WaitAsync(TimeSpan.FromSeconds(10)))!.Offset);
        Assert.Equal(4, dispatcher.Committable(p0));
    }

    [Fact]
    public async Task A_take_serves_the_next_partition_and_a_partition_whose_run_ended_comes_back_last()
    {
        var dispatcher = new Dispatcher(FourAtOnce);
        var partitions = Enumerable.Range(0, 3).Select(Partition).ToList();
        dispatcher.Submit([.. partitions.SelectMany(p => Enumerable.Range(0, 12).Select(i => Item(p, i)))]);

        var runs = new List<List<WorkItem>>();
        for (var i = 0; i < 3; i++)
        {
            var waiter = new ReadyWaiter();
            await dispatcher.TakeAsync(waiter);
            Assert.True(dispatcher.TryStartRun(waiter.Run));
            runs.Add([.. waiter.Run]);
        }

        Assert.Equal([0, 1, 2], runs.Select(r => r[0].Partition.TopicPartition.Partition.Value));
        dispatcher.EndRun(runs[1], 4, failed: null);
        dispatcher.EndRun(runs[0], 4, failed: null);

        Assert.Equal([(1, 4L), (1, 5), (1, 6), (1, 7)], await TakeRunAsync(dispatcher));
        Assert.Equal([(0, 4L), (0, 5), (0, 6), (0, 7)], await TakeRunAsync(dispatcher));
    }

    [Fact]
    public async Task A_run_that_is_not_full_waits_until_it_fills_or_its_oldest_message_waited_the_batch_wait()
    {
        var filling = new Dispatcher(FourAtOnce);
        var p0 = Partition(0);
        filling.Submit([.. Enumerable.Range(0, 3).Select(i => Item(p0, i))]);
        var take = filling.TakeAsync(new ReadyWaiter()).AsTask();
        Assert.False(take.IsCompleted);
        filling.Submit(Item(p0, 3));
        Assert.Equal(0L, (await take.WaitAsync(TimeSpan.FromSeconds(10)))!.Offset);

        var waiting = new Dispatcher(new BatchOptions { MaxMessages = 4, MaxWait = TimeSpan.FromMilliseconds(50) });
        var p1 = Partition(1);
        waiting.Submit([.. Enumerable.Range(0, 2).Select(i => Item(p1, i))]);
        var waiter = new ReadyWaiter();
        var started = DateTime.UtcNow;
        Assert.NotNull(await waiting.TakeAsync(waiter).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(40), "the run waited for more");
        Assert.Equal([0L, 1], waiter.Run.Select(m => m.Offset));
    }

    [Fact]
    public async Task A_failed_message_keeps_its_partitions_run_on_through_its_back_off_and_leads_the_next_run()
    {
        var (dispatcher, p0, run) = await FirstRunOfSixStartedAsync();
        var failed = run[2];

        dispatcher.EndRun(run, 2, ExecutionOutcome.RetryLater);
        dispatcher.Submit([.. Enumerable.Range(6, 4).Select(i => Item(p0, i))]);
        var next = dispatcher.TakeAsync(new ReadyWaiter()).AsTask();
        Assert.False(next.IsCompleted); // nothing passes the message waiting for its retry
        Assert.Equal(2, dispatcher.Committable(p0));
        Assert.Equal(0, p0.Work.Running); // a revoke does not wait for the back-off

        Assert.True(dispatcher.Resume(failed, drop: false));
        Assert.Same(failed, await next.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_message_that_stops_its_partition_leaves_the_rest_of_its_run_unstarted_and_uncommitted()
    {
        var (dispatcher, p0, run) = await FirstRunOfSixStartedAsync();

        dispatcher.Stop(p0);
        dispatcher.EndRun(run, 1, ExecutionOutcome.StopPartition);

        Assert.Equal(1, dispatcher.Committable(p0));
        Assert.Equal(0, dispatcher.Buffered);
        Assert.False(dispatcher.TakeAsync(new ReadyWaiter()).IsCompleted);
    }

    [Fact]
    public async Task A_message_left_unfinished_lets_nothing_of_its_partition_run_past_it()
    {
        var (dispatcher, p0, run) = await FirstRunOfSixStartedAsync();

        dispatcher.EndRun(run, 1, ExecutionOutcome.Abandoned); // the processor is stopping

        Assert.Equal(1, dispatcher.Committable(p0));
        Assert.Equal(0, dispatcher.Buffered); // the rest and the ready ones are dropped, fetched again with it
        Assert.False(dispatcher.TakeAsync(new ReadyWaiter()).IsCompleted);
    }

    /// <summary>Six messages of partition 0 submitted, and the first run (four of them) taken and started.</summary>
    private static async Task<(Dispatcher Dispatcher, PartitionState P0, List<WorkItem> Run)> FirstRunOfSixStartedAsync()
    {
        var dispatcher = new Dispatcher(FourAtOnce);
        var p0 = Partition(0);
        dispatcher.Submit([.. Enumerable.Range(0, 6).Select(i => Item(p0, i))]);
        var waiter = new ReadyWaiter();
        await dispatcher.TakeAsync(waiter);
        Assert.True(dispatcher.TryStartRun(waiter.Run));
        return (dispatcher, p0, waiter.Run);
    }

    private static async Task<List<(int Partition, long Offset)>> TakeRunAsync(Dispatcher dispatcher)
    {
        var waiter = new ReadyWaiter();
        Assert.NotNull(await dispatcher.TakeAsync(waiter).AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(dispatcher.TryStartRun(waiter.Run));
        return [.. waiter.Run.Select(m => (m.Partition.TopicPartition.Partition.Value, m.Offset))];
    }

    private static PartitionState Partition(int partition) => new(new TopicPartition("t", partition));

    // The processor's default ordering: runs ignore it, a partition's runs are its lane.
    private static WorkItem Item(PartitionState partition, long offset, string value = "") => WorkItems.Of(partition, offset, "k", value);
}
