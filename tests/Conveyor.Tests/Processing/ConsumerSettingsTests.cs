using Conveyor.Configuration;
using Conveyor.Processing;
using Conveyor.Processing.Engine;

namespace Conveyor.Tests.Processing;

public class ConsumerSettingsTests
{
    private static readonly ProcessorOptions Options = new() { GroupId = "g", Topics = ["orders"] };

    [Fact]
    public void Prefetching_is_a_quarter_of_the_engine_buffer_in_messages_and_bytes()
    {
        var config = ConsumerSettings.For(new KafkaClientProperties("localhost:9092"), Options);

        Assert.Equal(2_500, config.QueuedMinMessages);
        Assert.Equal(16_384, config.QueuedMaxMessagesKbytes);
        Assert.Equal(10, config.FetchQueueBackoffMs);
        Assert.Equal(Confluent.Kafka.AutoOffsetReset.Earliest, config.AutoOffsetReset);
    }

    [Theory]
    [InlineData(100_000, 25_000)]
    [InlineData(2_000, 1_000)] // never under two of the feeder's batches
    public void Prefetching_follows_the_message_cap(int cap, int prefetched)
    {
        var config = ConsumerSettings.For(new KafkaClientProperties("localhost:9092"), Options with { MaxBufferedMessages = cap });

        Assert.Equal(prefetched, config.QueuedMinMessages);
    }

    [Fact]
    public void The_users_properties_override_the_defaults_but_not_the_commit_settings()
    {
        var client = new KafkaClientProperties("localhost:9092",
        [
            new KafkaProperty("queued.min.messages", "100000"),
            new KafkaProperty("fetch.queue.backoff.ms", "0"),
            new KafkaProperty("enable.auto.commit", "true"),
            new KafkaProperty("group.id", "other"),
        ]);

        var config = ConsumerSettings.For(client, Options);

        Assert.Equal(100_000, config.QueuedMinMessages);
        Assert.Equal(0, config.FetchQueueBackoffMs);
        Assert.False(config.EnableAutoCommit);
        Assert.False(config.EnableAutoOffsetStore);
        Assert.Equal("g", config.GroupId);
    }
}
