using Confluent.Kafka;
using Conveyor.Processing.Commits;
using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Completions;

/// <summary>
/// Persisted completions (<see cref="ProcessorOptions.PersistCompletions"/>): each commit records
/// the finished offsets above the committed one in its metadata (<see cref="CompletionStore"/>),
/// an assignment reads them back and adds what this member remembers of partitions it gave up
/// (<see cref="CompletionMemory"/>), and a partition takes no new messages while its finished
/// offsets could outgrow the metadata.
/// </summary>
internal sealed class PersistedCompletions : ICompletions
{
    private readonly CompletionStore _store;
    private readonly CompletionMemory _memory;
    private readonly Dispatcher _dispatcher;
    private readonly IProcessorObserver _observer;
    private readonly RunAheadBound? _early;
    private readonly List<long> _finished = [];

    public PersistedCompletions(CompletionStore store, CompletionMemory memory, Dispatcher dispatcher, IProcessorObserver observer, RunAheadBound? early = null)
    {
        _early = early;
        _store = store;
        _memory = memory;
        _dispatcher = dispatcher;
        _observer = observer;
    }

    /// <summary>
    /// Persisted completions when <paramref name="store"/> exists, else offsets alone, bounded by
    /// <paramref name="runAhead"/> when given (at-least-once: watermark commits). Persisted
    /// completions take from the bound only its early commit (<see cref="CommitDue"/>).
    /// </summary>
    public static ICompletions For(CompletionStore? store, TimeProvider clock, Dispatcher dispatcher, IConsumer<byte[]?, byte[]?> consumer, IProcessorObserver observer, long? runAhead = null) =>
        store is null
            ? new OffsetOnlyCompletions(dispatcher, consumer, runAhead is { } limit ? new RunAheadBound(dispatcher, limit) : null)
            : new PersistedCompletions(store, new CompletionMemory(clock), dispatcher, observer, runAhead is { } early ? new RunAheadBound(dispatcher, early) : null);

    public IReadOnlyDictionary<TopicPartition, CompletionMap> Restore(List<TopicPartition> partitions)
    {
        var restored = _store.Read(partitions);
        foreach (var partition in partitions)
        {
            var finished = restored.GetValueOrDefault(partition);
            if ((_memory.Recall(partition, finished) ?? finished) is { } map)
            {
                restored[partition] = map;
            }
        }

        return restored;
    }

    public OffsetCommit? Next(PartitionState partition)
    {
        _finished.Clear();
        if (_dispatcher.CommitPoint(partition, _finished) is { } point)
        {
            partition.Poll.CompletionFloor = Math.Max(partition.Poll.CompletionFloor, point);
            var metadata = _store.Encode(point, _finished);
            if (point > partition.Poll.LastCommitted || (point == partition.Poll.LastCommitted && metadata != partition.Poll.LastCommittedMetadata))
            {
                return new OffsetCommit(partition.TopicPartition, point, metadata);
            }
        }

        return null;
    }

    public void Commit(IReadOnlyList<OffsetCommit> offsets) => _store.Commit(offsets);

    public void Remember(List<PartitionState> states)
    {
        foreach (var state in states)
        {
            _finished.Clear();
            if (_dispatcher.CommitPoint(state, _finished) is { } lowestUnfinished)
            {
                _memory.Remember(state.TopicPartition, state.Poll.FirstDelivered, lowestUnfinished, _finished);
            }
        }
    }

    /// <summary>
    /// The finished offsets above the committed one survive a rebalance, but not a killed process:
    /// what it finished since its last commit is handled again. Under kills more frequent than the
    /// commit interval nothing was ever committed (the simulator's churn schedules: a livelock, as
    /// with watermark commits), so the commit does not wait for the interval once the lowest
    /// unfinished offset moved half the run-ahead limit past the last commit (<see cref="RunAheadBound.CommitDue"/>).
    /// </summary>
    public bool CommitDue(PartitionState partition) => _early?.CommitDue(partition) ?? false;

    public bool HurriesCommits => _early is not null;

    /// <summary>
    /// Checked before each fetch, which takes at most <see cref="Feeder.MaxBatch"/> messages, so
    /// the last tracked offset stays within <see cref="CompletionStore.MaxSpan"/> of the
    /// committable one and every map fits. It takes messages again once that distance is down to half.
    /// </summary>
    public bool Full(PartitionState partition)
    {
        if (partition.Poll.NextOffset < 0)
        {
            return false;
        }

        var limit = partition.Poll.CompletionsFull ? _store.MaxSpan / 2 : _store.MaxSpan - Feeder.MaxBatch;
        if (!partition.Poll.CompletionsFull && partition.Poll.NextOffset - partition.Poll.CompletionFloor <= limit)
        {
            return false; // the floor only grows, so the distance is no larger than this
        }

        partition.Poll.CompletionFloor = Math.Max(partition.Poll.CompletionFloor, _dispatcher.Committable(partition) ?? partition.Poll.CompletionFloor);
        var full = partition.Poll.NextOffset - partition.Poll.CompletionFloor > limit;
        if (full != partition.Poll.CompletionsFull)
        {
            partition.Poll.CompletionsFull = full;
            _observer.OnCompletionsFull(new TopicPartitionOffset(partition.TopicPartition, partition.Poll.CompletionFloor), full);
        }

        return full;
    }
}
