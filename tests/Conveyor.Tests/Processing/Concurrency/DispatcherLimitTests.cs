using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Engine;
using Conveyor.TestSupport;

namespace Conveyor.Tests.Processing.Concurrency;

/// <summary>The dispatcher's live concurrency limit: takes count until released, and the limit moves at runtime.</summary>
public class DispatcherLimitTests
{
    [Fact]
    public void No_more_messages_are_taken_than_the_limit_allows_and_a_release_lets_the_next_in()
    {
        var dispatcher = new Dispatcher();
        dispatcher.SetLimit(2);
        var partition = new PartitionState(new TopicPartition("t", 0));
        dispatcher.Submit(Fetch(partition, 10, OrderingMode.Unordered));

        _ = Enumerable.Range(0, 4).Select(_ => dispatcher.TakeAsync(new ReadyWaiter())).ToList();

        Assert.Equal((2, 8), (dispatcher.Taken, partition.Work.Waiting));
        dispatcher.Release();
        Assert.Equal((2, 7), (dispatcher.Taken, partition.Work.Waiting));
    }

    [Fact]
    public void Lowering_the_limit_lets_the_running_finish_and_starts_nothing_until_below_it()
    {
        var dispatcher = new Dispatcher();
        dispatcher.SetLimit(4);
        var partition = new PartitionState(new TopicPartition("t", 0));
        dispatcher.Submit(Fetch(partition, 10, OrderingMode.Unordered));
        _ = Enumerable.Range(0, 4).Select(_ => dispatcher.TakeAsync(new ReadyWaiter())).ToList();
        Assert.Equal((4, 6), (dispatcher.Taken, partition.Work.Waiting));

        dispatcher.SetLimit(1);
        _ = dispatcher.TakeAsync(new ReadyWaiter());
        dispatcher.Release();
        dispatcher.Release();
        dispatcher.Release();
        Assert.Equal((1, 6), (dispatcher.Taken, partition.Work.Waiting)); // one still runs: that is the limit

        dispatcher.Release();
        Assert.Equal((1, 5), (dispatcher.Taken, partition.Work.Waiting));
    }

    [Fact]
    public void Raising_the_limit_wakes_idle_workers_at_once()
    {
        var dispatcher = new Dispatcher();
        dispatcher.SetLimit(1);
        var partition = new PartitionState(new TopicPartition("t", 0));
        dispatcher.Submit(Fetch(partition, 10, OrderingMode.Unordered));
        _ = Enumerable.Range(0, 5).Select(_ => dispatcher.TakeAsync(new ReadyWaiter())).ToList();
        Assert.Equal((1, 9), (dispatcher.Taken, partition.Work.Waiting));

        dispatcher.SetLimit(4);

        Assert.Equal((4, 6), (dispatcher.Taken, partition.Work.Waiting));
    }

    [Fact]
    public async Task Workers_over_the_limit_are_told_to_end_once_the_dispatcher_completes()
    {
        var dispatcher = new Dispatcher();
        dispatcher.SetLimit(1);
        Assert.NotNull(await CompletedTake(dispatcher));
        var waiting = dispatcher.TakeAsync(new ReadyWaiter()).AsTask();
        Assert.False(waiting.IsCompleted);

        dispatcher.Complete();

        Assert.Null(await waiting);
    }

    [Fact]
    public async Task Every_message_runs_once_in_key_order_and_never_above_the_limit_while_it_moves()
    {
        var dispatcher = new Dispatcher();
        dispatcher.SetLimit(3);
        var partitions = Enumerable.Range(0, 4).Select(p => new PartitionState(new TopicPartition("t", p))).ToList();
        var items = partitions.SelectMany(p => Enumerable.Range(0, 250).Select(i => Item(p, i, $"key-{i % 7}", OrderingMode.Key))).ToList();
        var handled = new ConcurrentQueue<WorkItem>();
        var running = 0;
        var tooMany = 0;
        var limit = 3;

        var workers = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            var waiter = new ReadyWaiter();
            while (await dispatcher.TakeAsync(waiter) is { } item)
            {
                Assert.True(dispatcher.TryStart(item));
                if (Interlocked.Increment(ref running) > Volatile.Read(ref limit))
                {
                    Interlocked.Increment(ref tooMany);
                }

                await Task.Yield();
                handled.Enqueue(item);
                Interlocked.Decrement(ref running);
                dispatcher.Finish(item, finished: true);
                dispatcher.Release();
            }
        })).ToList();

        dispatcher.Submit(items);
        foreach (var (next, after) in new[] { (8, 150), (1, 300), (16, 450), (2, 600), (5, 750) })
        {
            await WaitUntil(() => handled.Count >= after);
            if (next > limit)
            {
                dispatcher.SetLimit(next);
                Volatile.Write(ref limit, next); // raised: only then may more run
            }
            else
            {
                Volatile.Write(ref limit, int.MaxValue);
                dispatcher.SetLimit(next);
                await WaitUntil(() => dispatcher.Taken <= next); // lowered: the running ones finish first
                Volatile.Write(ref limit, next);
            }
        }

        await WaitUntil(() => handled.Count == items.Count);
        dispatcher.Complete();
        await Task.WhenAll(workers);

        Assert.Equal(0, tooMany);
        Assert.Equal(items.Count, handled.Distinct().Count());
        foreach (var lane in handled.GroupBy(i => (i.Partition, Encoding.UTF8.GetString(i.Result.Message.Key!))))
        {
            Assert.Equal(lane.Select(i => i.Offset).Order(), lane.Select(i => i.Offset));
        }

        Assert.All(partitions, p => Assert.Equal(250L, dispatcher.Committable(p)));
    }

    private static async Task<WorkItem?> CompletedTake(Dispatcher dispatcher)
    {
        dispatcher.Submit(Fetch(new PartitionState(new TopicPartition("t", 9)), 1, OrderingMode.Unordered));
        return await dispatcher.TakeAsync(new ReadyWaiter());
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(1, timeout.Token);
        }
    }

    private static List<WorkItem> Fetch(PartitionState partition, int count, OrderingMode mode) =>
        [.. Enumerable.Range(0, count).Select(i => Item(partition, i, $"k{i}", mode))];

    private static WorkItem Item(PartitionState partition, long offset, string key, OrderingMode mode) => WorkItems.Of(partition, offset, key, ordering: mode);
}
