using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Engine;
using Conveyor.TestSupport;

namespace Conveyor.Tests.Processing;

public class DispatcherTests
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
