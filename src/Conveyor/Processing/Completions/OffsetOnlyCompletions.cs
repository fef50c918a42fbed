using Confluent.Kafka;
using Conveyor.Processing.Commits;
using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Completions;

/// <summary>
/// Completions not persisted: a commit carries the committable offset alone, and nothing is
/// restored or remembered. At-least-once (watermark commits) bounds how far a partition runs
/// ahead of its lowest unfinished message (<see cref="RunAheadBound"/>), since a rebalance hands
/// all of that out again; at-most-once and exactly-once have no bound.
/// </summary>
internal sealed class OffsetOnlyCompletions(Dispatcher dispatcher, IConsumer<byte[]?, byte[]?> consumer, RunAheadBound? bound = null) : ICompletions
{
    private static readonly Dictionary<TopicPartition, CompletionMap> None = [];

    public IReadOnlyDictionary<TopicPartition, CompletionMap> Restore(List<TopicPartition> partitions) => None;

    public OffsetCommit? Next(PartitionState partition) =>
        dispatcher.Committable(partition) is { } next && next > partition.Poll.LastCommitted
            ? new OffsetCommit(partition.TopicPartition, next)
            : null;

    public void Commit(IReadOnlyList<OffsetCommit> offsets) => consumer.Commit(offsets.Select(o => o.ToTopicPartitionOffset()));

    public void Remember(List<PartitionState> states)
    {
    }

    public bool Full(PartitionState partition) => bound?.Full(partition) ?? false;

    public bool CommitDue(PartitionState partition) => bound?.CommitDue(partition) ?? false;

    public bool HurriesCommits => bound is not null;
}
