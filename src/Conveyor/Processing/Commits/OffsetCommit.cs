using Confluent.Kafka;

namespace Conveyor.Processing.Commits;

/// <summary>One partition's offset to commit, with the metadata stored beside it (empty for none).</summary>
internal readonly record struct OffsetCommit(TopicPartition Partition, long Offset, string Metadata = "")
{
    public TopicPartitionOffset ToTopicPartitionOffset() => new(Partition, Offset);
}
