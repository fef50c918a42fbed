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
internal sealed partial class TransactionalCommits : ICommitStrategy
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

    private void Stop(Error error)
    {
        _observer.OnError(error);
        _context.Stop(error);
    }

    private void Forget(List<PartitionState> states) => _partitions.Forget(states);
}
