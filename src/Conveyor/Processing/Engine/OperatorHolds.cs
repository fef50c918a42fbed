using System.Globalization;
using Confluent.Kafka;
using Conveyor.Processing.Commits;
using Conveyor.Processing.Completions;

namespace Conveyor.Processing.Engine;

/// <summary>
/// Operator pauses and rewinds on the poll thread, kept apart from flow control's own pauses. A
/// partition an operator paused is released by the engine as a revoke would release it (nothing
/// more starts, running handlers finish, the finished offsets are committed, its state is
/// forgotten, so the feeder drops whatever is fetched of it) and paused in the client; it stays
/// assigned to this member, so the group does not move it. Taking it back is an assignment in
/// small: the committed offset's completions are restored and the client seeks to the committed
/// offset, so handling continues where it stopped and nothing is lost. A partition assigned while
/// paused by an operator is never owned until resumed. A rewind releases the partition the same
/// way, commits the new offset once the old position is committed (so no commit of the old owner
/// state can land after it), and takes it back from there.
/// </summary>
internal sealed class OperatorHolds(
    ProcessorOptions options,
    IConsumer<byte[]?, byte[]?> consumer,
    Dispatcher dispatcher,
    OwnedPartitions partitions,
    ICommitStrategy commits,
    ICompletions completions,
    IProcessorObserver observer,
    Func<TopicPartition, bool> pausedByOperator,
    bool resetToEarliest)
{
    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(10);

    private readonly HashSet<TopicPartition> _held = [];
    private readonly HashSet<TopicPartition> _toPauseInClient = [];
    private readonly HashSet<TopicPartition> _awaiting = [];

    /// <summary>Rewinds waiting for a partition's next owner (the fleet's control topic); none when null. Set before the loop runs.</summary>
    public IPendingRewinds? Pending { get; set; }

    /// <summary>Assigned partitions held by an operator now.</summary>
    public IReadOnlyCollection<TopicPartition> Held => _held;

    /// <summary>
    /// At an assignment: the partitions to own; the ones an operator paused are held instead, and
    /// paused in the client at the next turn (the client knows a partition only once it is assigned).
    /// </summary>
    public List<TopicPartition> Assigned(List<TopicPartition> assigned)
    {
        List<TopicPartition> own = [];
        List<TopicPartition> awaiting = [];
        foreach (var partition in assigned)
        {
            if (Pending?.Waits(partition) == true)
            {
                // Not owned until the fleet decided whether the rewind is still to be done here (EndAwaiting).
                _awaiting.Add(partition);
                _toPauseInClient.Add(partition);
                awaiting.Add(partition);
            }
            else if (pausedByOperator(partition))
            {
                _held.Add(partition);
                _toPauseInClient.Add(partition);
            }
            else
            {
                own.Add(partition);
            }
        }

        if (awaiting.Count > 0)
        {
            Pending!.Settle(awaiting);
        }

        return own;
    }

    /// <summary>
    /// The rewinds pending for <paramref name="partitions"/> were applied (or were not due): each one
    /// still waiting is held if an operator paused it, and taken back from its committed offset otherwise.
    /// </summary>
    public void EndAwaiting(IReadOnlyList<TopicPartition> partitions)
    {
        List<TopicPartitionOffset> resume = [];
        foreach (var partition in partitions.Where(_awaiting.Remove))
        {
            if (pausedByOperator(partition))
            {
                _held.Add(partition);
            }
            else
            {
                _toPauseInClient.Remove(partition);
                resume.Add(new TopicPartitionOffset(partition, Committed(partition)));
            }
        }

        if (resume.Count > 0)
        {
            TakeBack(resume);
        }
    }

    /// <summary>Revoked or lost: no longer this member's to hold.</summary>
    public void Gone(IEnumerable<TopicPartition> gone)
    {
        foreach (var partition in gone)
        {
            _held.Remove(partition);
            _awaiting.Remove(partition);
            _toPauseInClient.Remove(partition);
        }
    }

    /// <summary>
    /// Brings the engine in line with the operator state: releases owned partitions now paused,
    /// takes back held ones no longer paused, pauses in the client the ones assigned while paused.
    /// Once per turn (cheap when nothing changed) and after each operator command.
    /// </summary>
    public void Reconcile()
    {
        if (_toPauseInClient.Count > 0)
        {
            PauseInClient([.. _toPauseInClient]);
            _toPauseInClient.Clear();
        }

        List<PartitionState>? release = null;
        foreach (var state in partitions.Values)
        {
            if (pausedByOperator(state.TopicPartition))
            {
                (release ??= []).Add(state);
            }
        }

        if (release is not null)
        {
            Release(release);
            foreach (var state in release)
            {
                _held.Add(state.TopicPartition);
            }

            PauseInClient([.. release.Select(s => s.TopicPartition)]);
        }

        if (_held.Count > 0 && _held.Where(p => !pausedByOperator(p)).ToList() is { Count: > 0 } resumed)
        {
            TakeBack(resumed.Select(p => new TopicPartitionOffset(p, Committed(p))).ToList());
        }
    }

    /// <summary>
    /// Moves those of <paramref name="targets"/> this member owns or holds to their offsets; returns
    /// the ones it moved. A held partition stays held: it starts from the new offset when resumed.
    /// </summary>
    public RewindResult Rewind(IReadOnlyList<TopicPartitionOffset> targets)
    {
        var offsets = targets.ToDictionary(t => t.TopicPartition, t => t.Offset.Value);
        return Move([.. offsets.Keys], p => (offsets[p], null));
    }

    /// <summary>
    /// Moves those of <paramref name="named"/> this member owns or holds by <paramref name="shift"/>
    /// messages from the committed offset each has once released (the position now, with
    /// everything finished there committed). A partition without a committed offset, or one the
    /// shift would take outside the offsets the partition keeps, refuses the whole command here:
    /// none of this member's partitions move, as a typo should not move some of them.
    /// </summary>
    public RewindResult Shift(IReadOnlyList<TopicPartition> named, long shift) => Move(named, partition =>
    {
        if (CommittedOffset(partition) is not { } from)
        {
            return (null, $"{Describe(partition)} has no committed offset to shift from");
        }

        var to = from + shift;
        var marks = consumer.QueryWatermarkOffsets(partition, LookupTimeout);
        return to >= marks.Low.Value && to <= marks.High.Value
            ? (to, null)
            : (null, string.Create(CultureInfo.InvariantCulture, $"shift {shift} takes {Describe(partition)} from {from} to {to}, outside its offsets {marks.Low.Value} (earliest) to {marks.High.Value} (end)"));
    });

    /// <summary>
    /// The rewind itself: releases the owned ones, asks <paramref name="where"/> for each partition's
    /// new offset (or why not), commits them, and takes the owned ones back from there.
    /// </summary>
    private RewindResult Move(IReadOnlyList<TopicPartition> named, Func<TopicPartition, (long? To, string? Refused)> where)
    {
        var owned = partitions.Owned(named);
        var candidates = named.Where(p => _held.Contains(p) || _awaiting.Contains(p) || owned.Any(o => o.TopicPartition == p)).ToList();
        if (candidates.Count == 0)
        {
            return RewindResult.None;
        }

        Release(owned);
        List<TopicPartitionOffset> moved = [];
        List<string> refused = [];
        foreach (var partition in candidates)
        {
            try
            {
                var (to, why) = where(partition);
                if (to is { } offset)
                {
                    moved.Add(new TopicPartitionOffset(partition, offset));
                }
                else
                {
                    refused.Add(why!);
                }
            }
            catch (KafkaException e)
            {
                refused.Add($"{Describe(partition)}'s offsets could not be read ({e.Error.Reason})");
            }
        }

        if (refused.Count > 0)
        {
            TakeBack([.. owned.Select(o => new TopicPartitionOffset(o.TopicPartition, Committed(o.TopicPartition)))]);
            return new RewindResult([], refused, candidates);
        }

        try
        {
            // After the release's own commit of the old position, which it waited for: the new
            // offset is the last commit of this generation, whatever was finished before.
            consumer.Commit(moved);
            observer.OnCommitted(moved);
        }
        catch (KafkaException e)
        {
            observer.OnError(new Error(e.Error.Code, $"The rewind of {Describe(moved)} was not committed ({e.Error.Reason}); the partitions continue from their old position."));
            TakeBack([.. owned.Select(o => new TopicPartitionOffset(o.TopicPartition, Committed(o.TopicPartition)))]);
            return new RewindResult([], [$"the new offsets were not committed ({e.Error.Reason})"], []);
        }

        // A held or awaiting partition starts from the new offset when taken back; what this member finished there must not be skipped then.
        completions.Restore([.. moved.Select(m => m.TopicPartition).Where(p => _held.Contains(p) || _awaiting.Contains(p))]);
        TakeBack([.. moved.Where(m => owned.Any(o => o.TopicPartition == m.TopicPartition))], rewound: true);
        return new RewindResult(moved, [], candidates);
    }

    /// <summary>As a revoke: nothing more starts, running handlers finish (up to the revoke timeout), the finished offsets are committed and the partitions forgotten.</summary>
    private void Release(List<PartitionState> states)
    {
        if (states.Count == 0)
        {
            return;
        }

        if (!dispatcher.DrainAsync(states).Wait(options.RevokeTimeout))
        {
            observer.OnError(new Error(ErrorCode.Local_TimedOut,
                $"Handlers of partitions released for an operator did not finish within {options.RevokeTimeout}; their messages will be handled again."));
        }

        commits.Revoked(states);
    }

    /// <summary>
    /// As an assignment: restored completions, the client at <paramref name="positions"/>, fetching.
    /// A <paramref name="rewound"/> partition restores nothing: the release remembered what this
    /// member finished there (for a partition that comes back after a rebalance), and those are
    /// exactly the messages the rewind asks to handle again.
    /// </summary>
    private void TakeBack(List<TopicPartitionOffset> positions, bool rewound = false)
    {
        var restored = completions.Restore([.. positions.Select(p => p.TopicPartition)]); // also forgets the memories
        if (rewound)
        {
            restored = new Dictionary<TopicPartition, CompletionMap>();
        }

        foreach (var position in positions)
        {
            _held.Remove(position.TopicPartition);
            var state = new PartitionState(position.TopicPartition, restored.GetValueOrDefault(position.TopicPartition));
            if (position.Offset.Value >= 0)
            {
                state.Poll.LastCommitted = position.Offset.Value;
            }

            partitions.Add(state);
            try
            {
                consumer.Seek(position);
            }
            catch (KafkaException e)
            {
                observer.OnError(e.Error);
            }
        }

        try
        {
            consumer.Resume([.. positions.Select(p => p.TopicPartition)]);
        }
        catch (KafkaException e)
        {
            observer.OnError(e.Error);
        }
    }

    /// <summary>The group's committed offset, or where the consumer starts without one.</summary>
    private Offset Committed(TopicPartition partition)
    {
        try
        {
            if (CommittedOffset(partition) is { } committed)
            {
                return committed;
            }
        }
        catch (KafkaException e)
        {
            observer.OnError(e.Error);
        }

        return resetToEarliest ? Offset.Beginning : Offset.End;
    }

    /// <summary>The group's committed offset; null when it has none.</summary>
    private long? CommittedOffset(TopicPartition partition) =>
        consumer.Committed([partition], LookupTimeout).FirstOrDefault()?.Offset.Value is { } committed && committed >= 0 ? committed : null;

    private void PauseInClient(List<TopicPartition> held)
    {
        try
        {
            consumer.Pause(held);
        }
        catch (KafkaException e)
        {
            observer.OnError(e.Error);
        }
    }

    private static string Describe(IEnumerable<TopicPartitionOffset> offsets) =>
        string.Join(", ", offsets.Select(o => $"{o.Topic}[{o.Partition.Value}]@{o.Offset.Value}"));

    private static string Describe(TopicPartition partition) => $"{partition.Topic}[{partition.Partition.Value}]";
}
