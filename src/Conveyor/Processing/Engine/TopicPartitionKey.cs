using Confluent.Kafka;

namespace Conveyor.Processing.Engine;

/// <summary>
/// Compares partitions by topic and number, and finds them by a (topic, number) pair as well, so
/// a lookup per message needs no <see cref="TopicPartition"/> (Confluent.Kafka's
/// <c>ConsumeResult.TopicPartition</c> makes a new one at every call).
/// </summary>
internal sealed class TopicPartitionKey : IEqualityComparer<TopicPartition>, IAlternateEqualityComparer<(string Topic, int Partition), TopicPartition>
{
    public static TopicPartitionKey Instance { get; } = new();

    public bool Equals(TopicPartition? x, TopicPartition? y) =>
        ReferenceEquals(x, y) || (x is not null && y is not null && x.Partition.Value == y.Partition.Value && string.Equals(x.Topic, y.Topic, StringComparison.Ordinal));

    public int GetHashCode(TopicPartition obj) => Hash(obj.Topic, obj.Partition.Value);

    public bool Equals((string Topic, int Partition) alternate, TopicPartition other) =>
        alternate.Partition == other.Partition.Value && string.Equals(alternate.Topic, other.Topic, StringComparison.Ordinal);

    public int GetHashCode((string Topic, int Partition) alternate) => Hash(alternate.Topic, alternate.Partition);

    public TopicPartition Create((string Topic, int Partition) alternate) => new(alternate.Topic, alternate.Partition);

    private static int Hash(string topic, int partition) => HashCode.Combine(topic, partition);
}
