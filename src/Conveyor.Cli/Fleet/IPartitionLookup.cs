using Conveyor.Cli.Offsets;

namespace Conveyor.Cli.Fleet;

/// <summary>A group's offsets as a rewind reads them before it is sent: <see cref="GroupOffsets"/> on a cluster, a fake in the unit tests.</summary>
internal interface IPartitionLookup
{
    /// <summary>The group's committed offset and the watermarks of each partition.</summary>
    IReadOnlyList<PartitionOffsets> Read(string topic, IReadOnlyList<int> partitions);

    /// <summary>Each partition's first offset at or after <paramref name="time"/>; null where no message is that late.</summary>
    IReadOnlyDictionary<int, long?> OffsetsAt(string topic, IReadOnlyList<int> partitions, DateTimeOffset time);
}

/// <summary>The cluster's answers, through <see cref="GroupOffsets"/>.</summary>
internal sealed class ClusterPartitionLookup(GroupOffsets offsets) : IPartitionLookup
{
    public IReadOnlyList<PartitionOffsets> Read(string topic, IReadOnlyList<int> partitions) => offsets.Read(topic, partitions);

    public IReadOnlyDictionary<int, long?> OffsetsAt(string topic, IReadOnlyList<int> partitions, DateTimeOffset time) => offsets.OffsetsAt(topic, partitions, time);
}
