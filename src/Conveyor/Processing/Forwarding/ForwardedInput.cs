using Confluent.Kafka;

namespace Conveyor.Processing.Forwarding;

/// <summary>
/// Where a forwarded input was, kept as plain values while its outputs are in flight: the
/// <see cref="TopicPartitionOffset"/> the forwarding observers get is made only once they are all acknowledged.
/// </summary>
internal readonly record struct ForwardedInput(string Topic, Partition Partition, Offset Offset)
{
    public TopicPartitionOffset ToTopicPartitionOffset() => new(Topic, Partition, Offset);
}
