using Confluent.Kafka;

namespace Conveyor.Processing.Engine;

/// <summary>
/// Notices an assigned partition that has messages to read, is not held by the engine (no
/// back-pressure, not stopped) and has delivered nothing for <see cref="ProcessorOptions.StallTimeout"/>,
/// and reports it once, then again when it delivers or goes away. A stall is a partition the group
/// owns but nobody consumes: without this it would be silent. Its times (every <c>now</c> it is
/// given) are the engine's (<see cref="Clock"/>), which a step of the wall clock does not move.
/// Poll thread only.
/// </summary>
internal sealed class StallWatchdog
{
    private const int BrokerQueriesPerRound = 2;
    private static readonly TimeSpan RoundInterval = TimeSpan.FromSeconds(1);

    private readonly TimeSpan _stallTimeout;
    private readonly IProcessorObserver _observer;
    private readonly bool _wallClock;
    private DateTime _nextRound;
    private long _heldAllTicks;

    /// <param name="stallTimeout">How long a partition with messages to read may deliver nothing; infinite: off.</param>
    /// <param name="observer">Told of stalls and their ends.</param>
    /// <param name="clock">The engine's clock (the system's by default).</param>
    /// <param name="bugs">Known bugs put back (tests only).</param>
    public StallWatchdog(TimeSpan stallTimeout, IProcessorObserver observer, TimeProvider? clock = null, ReintroducedBugs bugs = default)
        : this(stallTimeout, observer, new EngineClock(clock ?? TimeProvider.System), bugs)
    {
    }

    /// <param name="stallTimeout">How long a partition with messages to read may deliver nothing; infinite: off.</param>
    /// <param name="observer">Told of stalls and their ends.</param>
    /// <param name="clock">The engine's clock, which the poll loop's other parts reach through <see cref="Clock"/>.</param>
    /// <param name="bugs">Known bugs put back (tests only).</param>
    public StallWatchdog(TimeSpan stallTimeout, IProcessorObserver observer, EngineClock clock, ReintroducedBugs bugs)
    {
        _stallTimeout = stallTimeout;
        _observer = observer;
        Clock = clock;
        _wallClock = bugs.HasFlag(ReintroducedBugs.WatchdogOnWallClock);
    }

    /// <summary>The engine's clock: the poll loop's timers all run on it.</summary>
    public EngineClock Clock { get; }

    /// <summary>
    /// The watchdog's time: the engine's (<see cref="EngineClock.Now"/>). Idle time is elapsed
    /// time, so a step of the wall clock (NTP, a resumed virtual machine) must neither add to it
    /// (every partition reported stalled at once: the simulator's large exactly-once seeds 4686
    /// and 5793, whose wall clock stepped 10-11 s forward) nor take from it.
    /// </summary>
    public DateTime Now => _wallClock ? Clock.WallNow : Clock.Now;

    private bool Enabled => _stallTimeout != Timeout.InfiniteTimeSpan;

    /// <summary>
    /// Every partition is held now, by the engine (the total buffer is full) or by the client (the
    /// group is rebalancing: librdkafka pauses the assignment until it is settled): no partition is
    /// idle by its own fault. Thread-safe: commits refused by a rebalance may be seen off the poll thread.
    /// </summary>
    public void HeldAll(DateTime now)
    {
        var ticks = now.Ticks;
        var seen = Volatile.Read(ref _heldAllTicks);
        while (ticks > seen)
        {
            var found = Interlocked.CompareExchange(ref _heldAllTicks, ticks, seen);
            if (found == seen)
            {
                return;
            }

            seen = found;
        }
    }

    /// <summary>A message arrived from <paramref name="partition"/>.</summary>
    public void Delivered(PartitionState partition, long offset, DateTime now)
    {
        partition.Poll.NextOffset = offset + 1;

        // Never back: a commit or rebalance callback before the delivery may have waited for
        // handlers and made the partition idle from later than the caller's time (an aborted
        // transaction's rewind: the simulator's two-member exactly-once seed 324).
        if (now > partition.Poll.IdleSince)
        {
            partition.Poll.IdleSince = now;
        }

        if (partition.Poll.ReportedStalled)
        {
            EndStall(partition);
        }
    }

    /// <summary>The engine stopped holding <paramref name="partition"/> (back-pressure resumed it): idle time counts from now.</summary>
    public void Released(PartitionState partition, DateTime now) => partition.Poll.IdleSince = now;

    /// <summary>
    /// The poll thread held these partitions for <paramref name="held"/> (it waited for running
    /// handlers and fetched nothing): that time is not idle time. Unlike <see cref="HeldAll"/>,
    /// idle time from before the wait still counts.
    /// </summary>
    public void Held(IEnumerable<PartitionState> partitions, TimeSpan held)
    {
        if (held <= TimeSpan.Zero)
        {
            return;
        }

        foreach (var partition in partitions)
        {
            partition.Poll.IdleSince += held;
        }
    }

    /// <summary>
    /// Runs <paramref name="hold"/>, a call that blocks the poll thread (a drain, a transaction's
    /// commit, a look-up at the coordinator), and tells <see cref="Held"/> how long it held
    /// <paramref name="partitions"/> (those owned before it): they fetched nothing meanwhile.
    /// </summary>
    public T Holding<T>(IEnumerable<PartitionState> partitions, Func<T> hold)
    {
        List<PartitionState> held = [.. partitions];
        var started = Now;
        try
        {
            return hold();
        }
        finally
        {
            Held(held, Now - started);
        }
    }

    /// <summary>The partition is no longer assigned.</summary>
    public void Forget(PartitionState partition)
    {
        if (partition.Poll.ReportedStalled)
        {
            EndStall(partition);
        }
    }

    /// <summary>
    /// At most once a second: reports partitions that became stalled and returns them, so that the
    /// poll loop can resume them in the client in case the client holds them without the engine
    /// knowing. What the client knows locally is used first; the broker is asked about at most
    /// <see cref="BrokerQueriesPerRound"/> partitions a round, so a sick cluster cannot hold the poll loop long.
    /// </summary>
    public List<PartitionState>? Check(DateTime now, IEnumerable<PartitionState> partitions, IPartitionPositions positions)
    {
        if (!Enabled || now < _nextRound)
        {
            return null;
        }

        _nextRound = now + RoundInterval;
        var brokerQueries = BrokerQueriesPerRound;
        List<PartitionState>? stalled = null;
        foreach (var partition in partitions)
        {
            var heldAllAt = new DateTime(Volatile.Read(ref _heldAllTicks), DateTimeKind.Utc);
            var idleSince = partition.Poll.IdleSince > heldAllAt ? partition.Poll.IdleSince : heldAllAt;
            // Looked at from half the timeout on, so that idle time with nothing to read is not
            // counted: a message arriving after a long idle spell is not a stall at the first look.
            if (partition.Poll.ReportedStalled || partition.Poll.Paused || !partition.AcceptsWork
                || now - idleSince < _stallTimeout / 2 || now < partition.Poll.StallCheckAfter)
            {
                continue;
            }

            var next = positions.Next(partition, askBroker: false);
            var end = positions.End(partition.TopicPartition, askBroker: false);
            if (next is null || end is null || end <= next)
            {
                if (brokerQueries == 0)
                {
                    continue; // next round
                }

                brokerQueries--;
                next ??= positions.Next(partition, askBroker: true);
                if (next is not null && (end is null || end <= next))
                {
                    end = positions.End(partition.TopicPartition, askBroker: true); // the cached end may be old
                }
            }

            if (next is null || end is null || end <= next)
            {
                // Nothing to read (or unknown): an idle topic, not a stall. Idle time counts again
                // from now and the next look is half a timeout later, so a message that arrives
                // after a long idle spell is reported only once it waited at least half the timeout,
                // never at the first look after it arrived (the simulator's seed 5562 was reported
                // stalled 3 ms after an append that followed a long idle spell).
                partition.Poll.IdleSince = now;
                partition.Poll.StallCheckAfter = now + (_stallTimeout / 2);
                continue;
            }

            if (now - idleSince < _stallTimeout)
            {
                continue; // messages to read, not for long yet
            }

            partition.Poll.ReportedStalled = true;
            (stalled ??= []).Add(partition);
            _observer.OnPartitionStalled(new TopicPartitionOffset(partition.TopicPartition, next.Value), end.Value, now - idleSince);
        }

        return stalled;
    }

    private void EndStall(PartitionState partition)
    {
        partition.Poll.ReportedStalled = false;
        partition.Poll.StallCheckAfter = default;
        _observer.OnPartitionStallEnded(partition.TopicPartition);
    }
}
