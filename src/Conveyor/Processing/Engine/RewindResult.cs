using Confluent.Kafka;

namespace Conveyor.Processing.Engine;

/// <summary>What a rewind did on this member: the partitions it moved, or why it moved none (<see cref="Refused"/>).</summary>
internal sealed record RewindResult(IReadOnlyList<TopicPartitionOffset> Moved, IReadOnlyList<string> Refused)
{
    public static RewindResult None { get; } = new([], []);
}
