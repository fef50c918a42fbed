using Confluent.Kafka;
using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Commits;

/// <summary>
/// At-most-once: each fetched batch is committed before any of it is handled, synchronously, so
/// a message is never handled twice (and one whose handler did not finish is not handled again);
/// a partition whose commit does not land runs nothing of the batch.
/// Finished offsets are committed on the interval as with at-least-once.
/// </summary>
internal sealed class AtMostOnceCommits(CommitContext context) : ConsumerCommits(context)
{
    public override void Submitting(List<WorkItem> batch)
    {
        if (Context.Dispatcher.Runtime.Bugs.HasFlag(ReintroducedBugs.AtMostOnceCommitsAfterHandling))
        {
            return;
        }

        var latest = new Dictionary<PartitionState, long>();
        foreach (var item in batch)
        {
            latest[item.Partition] = item.Offset + 1;
        }

        if (latest.Count == 0)
        {
            return;
        }

        var committed = Commit([.. latest.Select(p => new OffsetCommit(p.Key.TopicPartition, p.Value))], [.. latest.Keys]);
        if (committed.Count < latest.Count)
        {
            HoldBack(batch, committed);
        }
    }

    /// <summary>
    /// A partition whose commit did not land (failed, or refused during a rebalance) must not run
    /// its part of the batch: a crash or a rebalance would hand those messages to a handler again.
    /// They are read again (a seek to the first of them) and committed before they run. If even the
    /// seek fails they are skipped: lost rather than handled twice.
    /// </summary>
    private void HoldBack(List<WorkItem> batch, IReadOnlyList<OffsetCommit> committed)
    {
        var landed = committed.Select(c => c.Partition).ToHashSet();
        var first = new Dictionary<PartitionState, long>();
        foreach (var item in batch)
        {
            if (!landed.Contains(item.Partition.TopicPartition))
            {
                first.TryAdd(item.Partition, item.Offset);
            }
        }

        batch.RemoveAll(item => first.ContainsKey(item.Partition));
        foreach (var (state, offset) in first)
        {
            try
            {
                Context.Consumer.Seek(new TopicPartitionOffset(state.TopicPartition, offset));
            }
            catch (KafkaException e)
            {
                Context.Observer.OnError(e.Error);
            }
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
