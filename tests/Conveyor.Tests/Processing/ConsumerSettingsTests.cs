using Conveyor.Configuration;
using Conveyor.Processing;
using Conveyor.Processing.Engine;

namespace Conveyor.Tests.Processing;

public class ConsumerSettingsTests
{
    private static readonly ProcessorOptions Options = new() { GroupId = "g", Topics = ["orders"] };

    [Fact]
    public void Prefetching_is_sized_to_the_engine_buffer()
    {
        var config = ConsumerSettings.For(new KafkaClientProperties("localhost:9092"), Options);

        Assert.Equal(Options.MaxBufferedMessages, config.QueuedMinMessages);
        Assert.Equal((int)(Options.MaxBufferedBytes / 4 / 1024), config.QueuedMaxMessagesKbytes);
        Assert.Equal(10, config.FetchQueueBackoffMs);
        Assert.Equal(Confluent.Kafka.AutoOffsetReset.Earliest, config.AutoOffsetReset);
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
