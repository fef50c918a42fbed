using Confluent.Kafka;
using static Conveyor.Tests.Processing.Engine.EngineHarness;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>
/// The whole engine on a fake consumer whose partitions together could hold more than the total
/// buffer (each partition's own limit never binds): a partition whose fetch filled the buffer
/// makes way for the others at its share of the total, and the full buffer does not pause every
/// partition while the handlers make room.
/// </summary>
public sealed class BufferShareTests
{
    [Fact]
    public async Task A_partition_that_fills_the_buffer_below_its_own_limit_makes_way_for_the_others_at_its_share()
    {
        // The fake consumer hands out a partition's whole log before the next one's, as librdkafka
        // hands out whole fetches, and again from the first partition after every resume. Before,
        // nothing was ever past its own limit (1,000) in a 40-message buffer: the full buffer
        // paused every partition, and each resume gave the room to P0 again until its log was done.
        var options = Defaults() with { MaxConcurrency = 4, MaxBufferedMessages = 40, MaxBufferedMessagesPerPartition = 1_000 };
        await using var engine = new EngineHarness(options, handlerTime: TimeSpan.FromMilliseconds(10));
        var consumer = await engine.StartAsync();
        TopicPartition[] partitions = [P0, P1, P2, new("orders", 3)];
        const int backlog = 2_000;
        foreach (var partition in partitions)
        {
            for (var i = 0; i < backlog; i++)
            {
                consumer.Append(partition, $"k{i % 100}");
            }
        }

        await consumer.GroupAssigns(partitions).Returned;
        await Task.WhenAll(partitions.Select(p => engine.Started(p, 0)));

        var order = engine.StartOrder.ToList();
        var lastFirst = partitions.Max(p => order.FindIndex(s => s.Message.TopicPartition == p));
        Assert.True(lastFirst < backlog / 2, $"the last partition's first message started after {lastFirst} others");
        Assert.DoesNotContain(engine.Observer.BackPressure, b => b.Paused && partitions.All(b.Partitions.Contains));
        Assert.False(engine.KeyOverlapped);
    }

    [Fact]
    public async Task A_full_buffer_that_no_partition_crowds_pauses_nothing_while_the_handlers_make_room()
    {
        // One partition, a backlog far past the 40-message buffer, and handlers (four at 100 ms)
        // too slow to free half of it within the engine's 200 ms wait. Before, that paused every
        // partition until half the buffer drained: here the only one, whose prefetch was thrown
        // away and fetched again each time, for nothing.
        var options = Defaults() with { MaxConcurrency = 4, MaxBufferedMessages = 40, MaxBufferedMessagesPerPartition = 1_000 };
        await using var engine = new EngineHarness(options, handlerTime: TimeSpan.FromMilliseconds(100));
        var consumer = await engine.StartAsync();
        for (var i = 0; i < 500; i++)
        {
            consumer.Append(P0, $"k{i % 100}");
        }

        var assigned = consumer.GroupAssigns(P0);
        await assigned.Started;
        var start = DateTime.UtcNow;
        await assigned.Returned;
        await engine.Finished(P0, 99);

        Assert.False(
            consumer.Calls.Any(c => c.StartsWith("pause", StringComparison.Ordinal)),
            $"assigned at {start:HH:mm:ss.fff}, offset 99 finished at {DateTime.UtcNow:HH:mm:ss.fff}, calls:\n{consumer.TimedCalls}");
    }

    [Fact]
    public async Task A_partition_fetched_first_is_held_at_its_share_while_the_others_await_their_first_fetch()
    {
        // librdkafka knows a partition's end only from its first fetch response, and a partition
        // whose first fetch lands first is taken whole at once: before, nothing starved while the
        // others' ends were unknown, so P0 filled the buffer and its handlers ran it alone until
        // the others' first fetches came (a second on a loaded machine, fairness 0.73).
        var options = Defaults() with { MaxConcurrency = 4, MaxBufferedMessages = 1_000, MaxBufferedMessagesPerPartition = 100 };
        await using var engine = new EngineHarness(options, handlerTime: TimeSpan.FromMilliseconds(10));
        var consumer = await engine.StartAsync();
        TopicPartition[] partitions = [P0, P1, P2];
        foreach (var partition in partitions)
        {
            for (var i = 0; i < 1_000; i++)
            {
                consumer.Append(partition, $"k{i % 100}");
            }
        }

        consumer.FirstFetchPending(P1);
        consumer.FirstFetchPending(P2);
        await consumer.GroupAssigns(partitions).Returned;
        await engine.Finished(P0, 150);

        Assert.True(
            consumer.Calls.Contains($"pause {P0}"),
            $"P0 ran on alone while P1 and P2 awaited their first fetch; calls:\n{consumer.TimedCalls}");

        consumer.FirstFetchLands(P1);
        consumer.FirstFetchLands(P2);
        await Task.WhenAll(engine.Started(P1, 0), engine.Started(P2, 0));
    }
}
