namespace Conveyor.Cli.Offsets;

/// <summary>One partition as a reset sees it: the group's committed offset (null: none) and the partition's watermarks.</summary>
/// <param name="Partition">The partition.</param>
/// <param name="Committed">The group's committed offset, or null when it has none.</param>
/// <param name="Low">The first offset still kept.</param>
/// <param name="High">The end: the offset the next message will get.</param>
internal sealed record PartitionOffsets(int Partition, long? Committed, long Low, long High);

/// <summary>A partition's move: from its committed offset (null: none) to <paramref name="To"/>.</summary>
internal sealed record OffsetMove(int Partition, long? From, long To);
