using Confluent.Kafka;

namespace Conveyor.Processing.Engine;

/// <summary>
/// Where a partition's consumption stands, for the <see cref="StallWatchdog"/>; null where it
/// cannot be told. Without <c>askBroker</c> only what the client knows locally is used.
/// </summary>
internal interface IPartitionPositions
{
    /// <summary>The next offset the engine expects from the partition.</summary>
    long? Next(PartitionState partition, bool askBroker);

    /// <summary>The partition's end offset (high watermark): as of the last fetch response, or fresh from the broker.</summary>
    long? End(TopicPartition partition, bool askBroker);
}
