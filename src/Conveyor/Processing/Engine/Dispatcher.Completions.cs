namespace Conveyor.Processing.Engine;

/// <summary>Persisted completions: what a commit records above the committed offset.</summary>
internal sealed partial class Dispatcher
{
    /// <summary>
    /// The offset to commit for a partition, as <see cref="Committable"/>, with the finished offsets
    /// above it added to <paramref name="finished"/> in increasing order; read under one lock, so the two agree.
    /// </summary>
    public long? CommitPoint(PartitionState partition, List<long> finished)
    {
        lock (_lock)
        {
            Offsets(partition).AddFinishedAboveCommittable(finished);
            return Offsets(partition).Committable;
        }
    }

    /// <summary>
    /// Lets the committable offsets move past messages skipped because they were finished before
    /// this assignment. Called after the messages fetched with them were submitted, so none of
    /// those is passed; partitions revoked meanwhile are left alone.
    /// </summary>
    public void PassRestored(List<(PartitionState Partition, long Offset)> skipped)
    {
        lock (_lock)
        {
            foreach (var (partition, offset) in skipped)
            {
                if (partition.AcceptsWork)
                {
                    Offsets(partition).PassRestored(offset);
                }
            }
        }
    }

    /// <summary>Passes messages that belong to another consumer group: never tracked, they count as finished.</summary>
    public void PassOtherGroups(List<(PartitionState Partition, long Offset)> skipped)
    {
        lock (_lock)
        {
            foreach (var (partition, offset) in skipped)
            {
                if (partition.AcceptsWork)
                {
                    Offsets(partition).PassUntracked(offset);
                }
            }
        }
    }

    /// <summary>
    /// Only for <see cref="ReintroducedBugs.RevokeTimeoutCommitsPastRunning"/>: counts every
    /// fetched message below <paramref name="next"/> finished, running or not.
    /// </summary>
    public void PassEverythingBelow(PartitionState partition, long next)
    {
        lock (_lock)
        {
            var offsets = Offsets(partition);
            while (offsets.Pending > 0 && offsets.Committable is { } head && head < next)
            {
                offsets.Complete(head);
            }
        }
    }
}
