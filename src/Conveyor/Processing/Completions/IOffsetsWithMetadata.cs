using Confluent.Kafka;

namespace Conveyor.Processing.Completions;

/// <summary>
/// Commits offsets with metadata and reads them back, which Confluent.Kafka's consumer cannot (its
/// <see cref="TopicPartitionOffset"/> has no metadata). In production librdkafka's own functions on
/// the consumer's handle (<see cref="Native.OffsetsNative"/>); tests of the engine fake it.
/// </summary>
internal interface IOffsetsWithMetadata
{
    /// <summary>
    /// Commits the offsets, each with its metadata, and waits for the answer. Throws as
    /// Confluent.Kafka's <c>Commit</c> does: <see cref="TopicPartitionOffsetException"/> when some
    /// partitions failed, <see cref="KafkaException"/> when the whole request did.
    /// </summary>
    void Commit(IReadOnlyList<(TopicPartitionOffset Offset, string Metadata)> offsets);

    /// <summary>The group's committed offsets of these partitions with their metadata (null metadata when none); throws <see cref="KafkaException"/> when the request failed.</summary>
    IReadOnlyList<(TopicPartitionOffset Offset, string? Metadata, Error Error)> Committed(IReadOnlyList<TopicPartition> partitions, TimeSpan timeout);
}
