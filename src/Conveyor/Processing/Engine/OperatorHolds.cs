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
/// state can land after it), and takes it back from there. Each of these holds the poll thread (a
/// drain up to the revoke timeout, commits, look-ups at the coordinator), so the partitions owned
/// meanwhile fetch nothing: the stall watchdog hears how long (<see cref="StallWatchdog.Held"/>).
/// </summary>
internal sealed partial class OperatorHolds(
    ProcessorOptions options,
    IConsumer<byte[]?, byte[]?> consumer,
    Dispatcher dispatcher,
    OwnedPartitions partitions,
    ICommitStrategy commits,
    ICompletions completions,
    IProcessorObserver observer,
    StallWatchdog watchdog,
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
        var ended = partitions.Where(_awaiting.Remove).ToList();
        if (ended.Count == 0)
        {
            return;
        }

        Holding(() =>
        {
            List<TopicPartitionOffset> resume = [];
            foreach (var partition in ended)
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
        });
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

        // The ones just released are paused by an operator: never among those resumed.
        var resumed = _held.Count > 0 && _held.Where(p => !pausedByOperator(p)).ToList() is { Count: > 0 } unpaused ? unpaused : null;
        if (release is null && resumed is null)
        {
            return;
        }

        Holding(() =>
        {
            if (release is not null)
            {
                Release(release);
                foreach (var state in release)
                {
                    _held.Add(state.TopicPartition);
                }

                PauseInClient([.. release.Select(s => s.TopicPartition)]);
            }

            if (resumed is not null)
            {
                TakeBack(resumed.Select(p => new TopicPartitionOffset(p, Committed(p))).ToList());
            }
        });
    }

    /// <summary>
    /// Runs <paramref name="hold"/>, which holds the poll thread (a drain up to the revoke timeout,
    /// commits, look-ups at the coordinator): the partitions owned before it fetch nothing meanwhile,
    /// and the stall watchdog hears that this time is not their idle time, as it hears a revoke's
    /// drain. Idle time from before the hold still counts: a partition stalled before an operator's
    /// command is still reported, after its own idle time.
    /// </summary>
    private void Holding(Action hold) => Holding(() =>
    {
        hold();
        return true;
    });

    /// <inheritdoc cref="Holding(Action)"/>
    private T Holding<T>(Func<T> hold) => watchdog.Holding(partitions.Values, hold);

    /// <summary>As a revoke: nothing more starts, running handlers finish (up to the revoke timeout), the finished offsets are committed and the partitions forgotten.</summary>
    private void Release(List<PartitionState> states)
    {
        if (states.Count == 0)
        {
            return;
        }

        if (!dispatcher.Runtime.Wait(dispatcher.DrainAsync(states), options.RevokeTimeout))
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
}
