using Confluent.Kafka;
using Conveyor.IntegrationTests.Support;
using Conveyor.Native;

namespace Conveyor.IntegrationTests.Processing;

/// <summary>
/// Commits with metadata through librdkafka's own calls (<see cref="OffsetsNative"/>): a partition
/// the broker refused is named with its error, as Confluent.Kafka's <c>Commit</c> names it, so the
/// engine reports each failed partition with its own error.
/// </summary>
[Collection(ProcessingCollection.Name)]
public class OffsetsNativeCommitTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public void A_partition_the_broker_refuses_is_named_with_its_error()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = kafka.Cluster.BootstrapServers, GroupId = group }).Build();
        var offsets = OffsetsNative.For(consumer)!;

        // Partition 7 does not exist: the embedded broker answers UNKNOWN_TOPIC_OR_PART for it alone.
        var refused = Assert.Throws<TopicPartitionOffsetException>(() => offsets.Commit(
            [(new TopicPartitionOffset(topic, 0, 3), "kept"), (new TopicPartitionOffset(topic, 7, 3), string.Empty)]));

        Assert.Equal(ErrorCode.UnknownTopicOrPart, refused.Results.Single(r => r.Partition.Value == 7).Error.Code);
        // librdkafka marks every partition without an error of its own with the request's (the
        // last failed partition's), so partition 0 may be listed as refused too; the broker took it.
        var (committed, metadata, error) = Assert.Single(offsets.Committed([new TopicPartition(topic, 0)], TimeSpan.FromSeconds(10)));
        Assert.False(error.IsError);
        Assert.Equal(3, committed.Offset.Value);
        Assert.Equal("kept", metadata);
    }

    [Fact]
    public void A_commit_the_broker_accepts_throws_nothing()
    {
        var topic = kafka.CreateTopic(partitions: 2);
        using var consumer = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig { BootstrapServers = kafka.Cluster.BootstrapServers, GroupId = Names.Unique("group") }).Build();
        var offsets = OffsetsNative.For(consumer)!;

        offsets.Commit([(new TopicPartitionOffset(topic, 0, 1), "a"), (new TopicPartitionOffset(topic, 1, 2), "b")]);

        var committed = offsets.Committed([new TopicPartition(topic, 0), new TopicPartition(topic, 1)], TimeSpan.FromSeconds(10));
        Assert.Equal([(1L, "a"), (2L, "b")], committed.Select(c => (c.Offset.Offset.Value, c.Metadata!)));
    }
}
