using Confluent.Kafka;
using Conveyor.Processing.Engine;
using Conveyor.Processing.Transactions;

namespace Conveyor.Processing.Commits;

/// <summary>
/// Exactly-once: finished offsets are committed inside the producer's transaction, with the
/// outputs, instead of by the consumer. The rule: no transaction commits an output without the
/// offset of its input. So the gate is closed first (every message whose outputs are in the
/// transaction is finished and covered by the offsets sent), and when partitions go without their
/// offsets in a commit (lost, or a revoke whose handlers do not finish) the transaction is aborted
/// and every partition still owned is rewound to its last committed offset: its messages run
/// again in the next transaction.
/// <para>
/// A <c>SendOffsetsToTransaction</c> or <c>CommitTransaction</c> call blocks the poll thread, and
/// librdkafka delivers rebalances only from inside <c>Consume</c> on that thread, so partitions
/// are never revoked or lost while such a call is in flight: the call ends first. If the group
/// moved the partitions meanwhile, a KIP-447 broker (Kafka 2.5+) refuses the offsets of the old
/// generation, the call fails as abortable, and the transaction is aborted; if the call succeeded,
/// outputs and offsets were committed together, and the lost partitions' next owner starts after
/// them. Brokers without KIP-447 accept the late offsets, which is why exactly-once refuses them
/// at start (<see cref="FencingProbe"/>).
/// </para>
/// <para>
/// Commits are due on the interval, when a partition went quiet (<see cref="QuietPartitions"/>:
/// outputs are invisible until committed), and at once when the running transaction must be
/// aborted (an output failed). Each commit covers every owned partition, not only those asked for:
/// the transaction holds outputs of all of them.
/// </para>
/// </summary>
internal sealed class TransactionalCommits : ICommitStrategy
{
    private readonly CommitContext _context;
    private readonly TransactionCoordinator _transactions;
    private readonly ProcessorOptions _options;
    private readonly IConsumer<byte[]?, byte[]?> _consumer;
    private readonly Dispatcher _dispatcher;
    private readonly OwnedPartitions _partitions;
    private readonly CommitSchedule _schedule;
    private readonly IProcessorObserver _observer;
    private readonly QuietPartitions _quiet;

    public TransactionalCommits(CommitContext context, TransactionCoordinator transactions)
    {
        _context = context;
        _transactions = transactions;
        _options = context.Options;
        _consumer = context.Consumer;
        _dispatcher = context.Dispatcher;
        _partitions = context.Partitions;
        _schedule = context.Schedule;
        _observer = context.Observer;
        _quiet = new QuietPartitions(_options.IdleCommitDelay, _dispatcher);
    }

    public void Start(DateTime now) => _schedule.Restart(now);

    public void Tick(DateTime now)
    {
        if (_schedule.IsDue(now) || _transactions.AbortRequested || (_schedule.MayCommitEarly(now) && _quiet.AnyDue(_partitions.Values, now)))
        {
            CommitTransaction();
        }
    }

    public void Submitting(List<WorkItem> batch)
    {
    }

    public void Stopping(List<PartitionState> partitions) => CommitTransaction();

    /// <summary>Commits every owned partition (not only those asked for: the transaction holds outputs of all of them).</summary>
    private void CommitTransaction()
    {
        _schedule.Restart(_context.Now);
        if (_transactions.Fatal is not null)
        {
            return; // already reported and stopping: nothing can be committed any more
        }

        if (!CloseGate())
        {
            _transactions.Gate.Open();
            _observer.OnError(new Error(ErrorCode.Local_TimedOut,
                $"Handlers did not finish within {_options.RevokeTimeout}; the transaction is committed later."));
            _schedule.RetryAfter(_context.Now, CommitContext.CommitRetryDelay);
            return;
        }

        try
        {
            CommitOwned(leaving: []);
        }
        finally
        {
            _transactions.Gate.Open();
        }
    }

    /// <summary>
    /// A revoke: commits the transaction with the offsets of every owned partition, the revoked
    /// ones included, or aborts it; never commits without the revoked partitions' offsets. When
    /// handlers do not finish in time their outputs could not be covered, so it aborts.
    /// </summary>
    public void Revoked(List<PartitionState> revoked)
    {
        _schedule.Restart(_context.Now);
        if (_transactions.Fatal is not null)
        {
            Forget(revoked);
            return;
        }

        var idle = CloseGate();
        try
        {
            if (idle)
            {
                CommitOwned(leaving: revoked);
            }
            else
            {
                AbortOwned(
                    new Error(ErrorCode.Local_TimedOut, $"Handlers did not finish within {_options.RevokeTimeout} of a revoke; the transaction cannot carry their offsets."),
                    leaving: revoked,
                    idle: false);
            }
        }
        finally
        {
            _transactions.Gate.Open();
        }
    }

    /// <summary>
    /// Lost partitions may already belong to another member, so their offsets cannot be committed,
    /// and neither can their outputs: the open transaction is aborted and the partitions still
    /// owned are rewound, before anything else is committed.
    /// </summary>
    public void Lost(List<PartitionState> lost)
    {
        if (_transactions.Fatal is not null)
        {
            Forget(lost);
            return;
        }

        var idle = CloseGate();
        try
        {
            if (_dispatcher.Runtime.Bugs.HasFlag(ReintroducedBugs.LostOutputsCommitted))
            {
                Forget(lost);
                CommitOwned(leaving: []);
                return;
            }

            var names = string.Join(", ", lost.Select(s => s.TopicPartition));
            AbortOwned(
                new Error(ErrorCode.Local_State, $"Partitions lost ({names}): their outputs are aborted with the transaction."),
                leaving: lost,
                idle);
        }
        finally
        {
            _transactions.Gate.Open();
        }
    }

    /// <summary>
    /// Closes the gate: no handler starts, and running ones are waited for (up to the revoke timeout).
    /// The poll thread fetches nothing meanwhile, so the wait is the engine holding its partitions,
    /// not idle time: the stall watchdog hears it, or a wait near its timeout (slow handlers, or a
    /// clock jump during the wait) reports partitions stalled that were only waiting for this
    /// commit (two-member exactly-once seeds 16 and 399, any-ordering seed 494).
    /// </summary>
    private bool CloseGate() => _dispatcher.Runtime.Bugs.HasFlag(ReintroducedBugs.GateWaitCountsAsIdle)
        ? _transactions.Gate.Close(_options.RevokeTimeout)
        : Holding(() => _transactions.Gate.Close(_options.RevokeTimeout));

    /// <summary>
    /// Runs a call that blocks the poll thread (the gate's wait, the transaction's commit: up to
    /// the revoke and the transaction timeouts) as time the engine held the owned partitions, not
    /// their idle time, in the watchdog's time (a step of the wall clock meanwhile is neither).
    /// </summary>
    private T Holding<T>(Func<T> call) => _context.Watchdog.Holding(_partitions.Values, call);

    /// <summary>
    /// Before the rewound partitions are read again, waits (up to the revoke timeout, as a revoke
    /// does) for their handlers still running: a commit waits only for messages that wrote
    /// outputs, so others may still run the user's code, and their messages must not run twice at
    /// once. Those waiting to write give up at once (their partitions are closed: the gate wakes them).
    /// </summary>
    private void WaitForHandlers(List<PartitionState> states)
    {
        _transactions.Gate.Wake();
        if (!_dispatcher.Runtime.Wait(_dispatcher.DrainAsync(states), _options.RevokeTimeout))
        {
            _observer.OnError(new Error(ErrorCode.Local_TimedOut,
                $"Handlers of rewound partitions did not finish within {_options.RevokeTimeout}; their messages run again meanwhile, and write nothing when they end."));
        }
    }

    /// <summary>With the gate closed: commits the owned partitions' offsets with the transaction; on an abort, forgets <paramref name="leaving"/> and rewinds the rest.</summary>
    private void CommitOwned(List<PartitionState> leaving)
    {
        // Computed with the gate closed: nothing runs, so nothing finishes behind our back. With
        // persisted completions each offset carries the finished offsets above it: the transaction
        // holds their outputs, so a restart must skip them, not write them again.
        var offsets = new List<OffsetCommit>();
        var states = new List<PartitionState>();
        foreach (var partition in _partitions.Values.Where(p => !p.Closed))
        {
            if (Next(partition) is { } next)
            {
                offsets.Add(next);
                states.Add(partition);
            }
        }

        var (outcome, error) = Holding(() => _transactions.Commit(offsets, _consumer));
        switch (outcome)
        {
            case TransactionOutcome.Committed:
                foreach (var (offset, state) in offsets.Zip(states))
                {
                    state.Poll.LastCommitted = offset.Offset;
                    state.Poll.LastCommittedMetadata = offset.Metadata;
                    state.Attempts.CommittedTo(offset.Offset);
                }

                _observer.OnCommitted([.. offsets.Select(o => o.ToTopicPartitionOffset())]);
                Forget(leaving);
                break;
            case TransactionOutcome.Empty:
                Forget(leaving);
                break;
            case TransactionOutcome.Aborted:
                Forget(leaving);
                Rewind(error!);
                break;
            case TransactionOutcome.Fatal:
                Forget(leaving);
                Stop(error!);
                break;
        }
    }

    /// <summary>
    /// Forgets <paramref name="leaving"/>, aborts the transaction and rewinds every partition still
    /// owned. When the gate did not close (<paramref name="idle"/> false), handlers still running
    /// write their outputs into the next transaction with inputs it will not cover: that one is
    /// aborted too, once they are done.
    /// </summary>
    private void AbortOwned(Error reason, List<PartitionState> leaving, bool idle)
    {
        Forget(leaving);
        var (outcome, error) = _transactions.Abort(reason); // a rewind follows: every partition is idle from then on
        if (outcome == TransactionOutcome.Fatal)
        {
            Stop(error!);
            return;
        }

        Rewind(reason);
        if (!idle)
        {
            _observer.OnError(new Error(ErrorCode.Local_TimedOut, $"{reason.Reason} The next transaction is aborted too, after the running handlers end."));
            _transactions.RequestAbort(new Error(ErrorCode.Local_State, $"Holds outputs of handlers that outlived an abort ({reason.Reason})"));
        }
    }

    /// <summary>What the transaction carries for a partition: its committable offset, with the finished ones above it when completions are persisted.</summary>
    private OffsetCommit? Next(PartitionState partition)
    {
        if (_dispatcher.Runtime.Bugs.HasFlag(ReintroducedBugs.TransactionOffsetsWithoutCompletions))
        {
            return _dispatcher.Committable(partition) is { } next && next > partition.Poll.LastCommitted
                ? new OffsetCommit(partition.TopicPartition, next)
                : null;
        }

        return _context.Completions.Next(partition);
    }

    private void Stop(Error error)
    {
        _observer.OnError(error);
        _context.Stop(error);
    }

    private void Forget(List<PartitionState> states) => _partitions.Forget(states);

    /// <summary>
    /// Forgets every owned partition's fetched messages and seeks it back to its last committed
    /// offset (this processor's last transaction, else the group's, else the earliest).
    /// </summary>
    private void Rewind(Error reason)
    {
        var states = _partitions.Values.Where(p => !p.Closed).ToList();
        Forget(states);
        WaitForHandlers(states);
        var stored = states.Where(s => s.Poll.LastCommitted < 0).Select(s => s.TopicPartition).ToList() is { Count: > 0 } unknown
            ? _consumer.Committed(unknown, _options.TransactionTimeout).ToDictionary(c => c.TopicPartition, c => c.Offset)
            : [];

        // The finished offsets the last committed transaction recorded (persisted completions):
        // their outputs are committed, so they are skipped when the partitions run again.
        var restored = _dispatcher.Runtime.Bugs.HasFlag(ReintroducedBugs.AbortRewindForgetsCompletions)
            ? new Dictionary<TopicPartition, Completions.CompletionMap>()
            : _context.Completions.Restore([.. states.Select(s => s.TopicPartition)]);
        var rewound = new List<TopicPartitionOffset>();
        foreach (var old in states)
        {
            // Idle from now, as a new assignment (OwnedPartitions.Add): the stall watchdog must not count the
            // time before the rewind (the simulator's seeds 406, 5310 and 6711 reported a partition stalled at once).
            // The messages' failed handler calls carry over: a message failing inside transactions that
            // keep aborting still reaches its failure action (any-ordering seed 5524 retried p1@9 without end).
            var attempts = _dispatcher.Runtime.Bugs.HasFlag(ReintroducedBugs.AbortRewindResetsAttempts) ? null : old.Attempts;
            var state = new PartitionState(old.TopicPartition, restored.GetValueOrDefault(old.TopicPartition), attempts)
            {
                Poll = { LastCommitted = old.Poll.LastCommitted, LastCommittedMetadata = old.Poll.LastCommittedMetadata },
            };
            _partitions.Add(state);
            if (old.Stopped)
            {
                // Stopped by its failure action: it stays stopped, as it would without the abort
                // (any-ordering seed 18819 ran on past its stop once an abort rewound it).
                _dispatcher.Stop(state);
            }

            var target = old.Poll.LastCommitted >= 0 ? new Offset(old.Poll.LastCommitted)
                : stored.TryGetValue(old.TopicPartition, out var committed) && committed.Value >= 0 ? committed
                : Offset.Beginning;
            rewound.Add(new TopicPartitionOffset(old.TopicPartition, target));
        }

        foreach (var position in rewound)
        {
            _consumer.Seek(position);
        }

        _consumer.Resume(states.Where(s => s.Poll.Paused).Select(s => s.TopicPartition).ToList());
        _transactions.ReportAborted(reason, rewound);
    }
}
