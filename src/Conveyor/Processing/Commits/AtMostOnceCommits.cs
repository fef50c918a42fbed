using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Commits;

/// <summary>
/// At-most-once: each fetched batch is committed before any of it is handled, synchronously, so
/// a message is never handled twice (and one whose handler did not finish is not handled again).
/// Finished offsets are committed on the interval as with at-least-once.
/// </summary>
internal sealed class AtMostOnceCommits(CommitContext context) : ConsumerCommits(context)
{
    public override void Submitting(List<WorkItem> batch)
    {
        var latest = new Dictionary<PartitionState, long>();
        foreach (var item in batch)
        {
            latest[item.Partition] = item.Offset + 1;
        }

        if (latest.Count > 0)
        {
            Commit([.. latest.Select(p => new OffsetCommit(p.Key.TopicPartition, p.Value))], [.. latest.Keys]);
        }
    }

    protected override void Send(List<OffsetCommit> offsets, List<PartitionState> states, bool final)
    {
        if (offsets.Count > 0)
        {
            Commit(offsets, states);
        }
    }
}
