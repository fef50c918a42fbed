using Confluent.Kafka;

namespace Conveyor.Processing.Engine;

/// <summary>
/// What a rewind did on this member: the partitions it moved, or why it moved none
/// (<see cref="Refused"/>); <see cref="Decided"/> are the partitions it settled either way (none
/// when its commit failed, so a later owner may still apply it).
/// </summary>
internal sealed record RewindResult(IReadOnlyList<TopicPartitionOffset> Moved, IReadOnlyList<string> Refused, IReadOnlyList<TopicPartition> Decided)
{
    public static RewindResult None { get; } = new([], [], []);
}
