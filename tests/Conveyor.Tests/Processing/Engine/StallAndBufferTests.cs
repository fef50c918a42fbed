using Confluent.Kafka;
using static Conveyor.Tests.Processing.Engine.EngineHarness;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>
/// The whole engine on a fake consumer: a partition the client holds without the engine knowing
/// is reported, resumed and shown in the status; the total buffer stays within its caps.
/// </summary>
public sealed class StallAndBufferTests
{
    [Fact]
    public async Task A_partition_the_client_holds_unknown_to_the_engine_is_reported_stalled_shown_in_the_status_and_resumed()
    {
        await using var engine = new EngineHarness(Defaults() with { StallTimeout = TimeSpan.FromSeconds(1) });
        engine.Observer.StatusAtStall = () => engine.Status;
        var consumer = await engine.StartAsync();
        await consumer.GroupAssigns(P0).Returned;

        // As librdkafka keeps an application pause the engine no longer knows of.
        consumer.Pause([P0]);
        consumer.Append(P0, "a");

        await engine.Finished(P0, 0); // delivered only once the watchdog resumed it in the client
        var (position, end, statusShowed) = Assert.Single(engine.Observer.Stalls);
        Assert.Equal(new TopicPartitionOffset(P0, 0), position);
        Assert.Equal(1, end);
        Assert.Equal([new TopicPartitionOffset(P0, 0)], statusShowed);
        Assert.Contains("resume orders [[0]]", consumer.Calls);
        await consumer.WaitUntilAsync(() => engine.Observer.StallsEnded.Contains(P0)); // the message ended it
        Assert.Empty(engine.Status.StalledPartitions);
    }

    [Theory]
    [InlineData("messages")]
    [InlineData("bytes")]
    public async Task Buffered_messages_and_bytes_stay_within_their_total_caps_while_handlers_hold_everything(string cap)
    {
        const int count = 120;
        const int maxMessages = 30;
        const int maxBytes = 4_096;
        var value = new string('x', 200);
        await using var engine = new EngineHarness(Defaults() with
        {
            MaxBufferedMessagesPerPartition = 1_000, // never reached: only the total caps hold
            MaxBufferedMessages = cap == "messages" ? maxMessages : 10_000,
            MaxBufferedBytes = cap == "bytes" ? maxBytes : 64 * 1024 * 1024,
        });
        var consumer = await engine.StartAsync();
        TopicPartition[] partitions = [P0, P1, P2];
        for (var i = 0; i < count; i++)
        {
            var partition = partitions[i % 3];
            var offset = consumer.Append(partition, $"k{i}", value);
            engine.Hold(partition, offset);
        }

        await consumer.GroupAssigns(P0, P1, P2).Returned;

        // Full: every partition paused together, nothing more fetched while the handlers hold.
        await consumer.WaitUntilAsync(() => partitions.All(consumer.IsPaused));
        var delivered = partitions.Sum(p => consumer.Position(p).Value);
        var size = 3 + value.Length; // the largest message: key and value
        if (cap == "messages")
        {
            Assert.InRange(delivered, 1, maxMessages);
        }
        else
        {
            Assert.InRange(delivered * size, 1, maxBytes + size); // the message that filled it is the last taken
        }

        foreach (var partition in partitions)
        {
            for (var offset = 0; offset < count / 3; offset++)
            {
                engine.Release(partition, offset);
            }
        }

        await Task.WhenAll(partitions.Select(p => engine.Finished(p, (count / 3) - 1)));
    }
}
