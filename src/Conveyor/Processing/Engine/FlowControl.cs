using Confluent.Kafka;
using Conveyor.Processing.Commits;
using Conveyor.Processing.Completions;

namespace Conveyor.Processing.Engine;

/// <summary>
/// Flow control on the poll thread: gathers each partition's buffer state, asks
/// <see cref="BackPressure"/> what to do, and pauses or resumes partitions in the client. A
/// partition is also held while a retry-topic message waits for its due time
/// (<see cref="RetryTopicWaits"/>), while its finished offsets could outgrow the commit metadata
/// (<see cref="ICompletions.Full"/>), and while commits are refused by a rebalance (<see cref="RebalanceHold"/>).
/// </summary>
internal sealed partial class FlowControl
{
    private static readonly TimeSpan StuckAfter = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan StarvingAfter = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan RoomWait = TimeSpan.FromMilliseconds(200);

    /// <summary>How long after its assignment a partition that delivered nothing counts as starving (<see cref="AwaitsFirstFetch"/>).</summary>
    private static readonly TimeSpan FirstFetchPatience = TimeSpan.FromSeconds(2);

    /// <summary>The parts <see cref="RoomWait"/> is waited in, each telling the handlers' pace (two of <see cref="DrainRate"/>'s shortest spans).</summary>
    private static readonly TimeSpan PaceSlice = TimeSpan.FromMilliseconds(40);

    private readonly ProcessorOptions _options;
    private readonly Dispatcher _dispatcher;
    private readonly OwnedPartitions _partitions;
    private readonly ICompletions _completions;
    private readonly RebalanceHold _rebalanceHold;
    private readonly ConsumerPositions _positions;
    private readonly ClientPauses _pauses;
    private readonly StallWatchdog _watchdog;
    private readonly IConsumer<byte[]?, byte[]?> _consumer;
    private readonly IProcessorObserver _observer;
    private bool _allPaused;

    public FlowControl(
        ProcessorOptions options,
        Dispatcher dispatcher,
        OwnedPartitions partitions,
        ICompletions completions,
        RebalanceHold rebalanceHold,
        ConsumerPositions positions,
        ClientPauses pauses,
        StallWatchdog watchdog,
        IConsumer<byte[]?, byte[]?> consumer,
        IProcessorObserver observer)
    {
        _options = options;
        _dispatcher = dispatcher;
        _partitions = partitions;
        _completions = completions;
        _rebalanceHold = rebalanceHold;
        _positions = positions;
        _pauses = pauses;
        _watchdog = watchdog;
        _consumer = consumer;
        _observer = observer;
    }

    /// <summary>
    /// Every partition is paused because the total buffer is full: the consumer then returns no
    /// messages but still serves rebalances, which must not wait for handlers to catch up.
    /// </summary>
    public bool AllPaused => _allPaused;

    /// <summary>At the last look, with the total buffer full: partitions that starve with under half their share buffered (<see cref="Rotates"/>).</summary>
    private int _lowWaiting;

    /// <summary>At the last look, with the buffer pressed (full or not): partitions that starve (<see cref="Starving"/>); the feeder stops a run at the share then (<see cref="Rotates"/>).</summary>
    private int _starvingPressed;

    /// <summary>At the last look: what one partition may hold while another starves (<see cref="BackPressure.Share"/>).</summary>
    private int _share = 1;

    /// <summary>Since when a full buffer crowded by some partitions got no room at all (<see cref="MakesRoom"/>).</summary>
    private DateTime? _noRoomSince;

    /// <summary>How fast the handlers get through the buffer: whether a starving partition can wait for its turn.</summary>
    private readonly DrainRate _drain = new();

    /// <summary>How long a resumed partition waits for its next message: how early it resumes while the buffer is pressed.</summary>
    private readonly RefetchDelay _refetch = new();

    /// <summary>Counts messages submitted to the dispatcher, from which <see cref="DrainRate"/> learns how fast the handlers get through the buffer.</summary>
    public void Submitted(int count) => _drain.Submitted(count);

    /// <summary>
    /// Whether a partition past its own limit is stuck: held back by its own handlers. Its lowest
    /// unfinished offset has not moved for <see cref="StuckAfter"/>, and at no look meanwhile did it
    /// wait its turn for a worker (<see cref="BackPressure.WaitsItsTurn"/>): a partition whose ready
    /// messages wait while the workers run other partitions' messages is not held back by its own
    /// handlers, and pausing it would only throw away what librdkafka prefetched for it; its clock
    /// starts again at every look where it waits. Only a stuck partition is paused for its own
    /// count: a partition with a deep backlog that handlers drain as it comes refills its buffer in
    /// bursts. The total limits bound memory either way.
    /// </summary>
    private bool Stuck(PartitionState partition, DateTime now, int busyPartitions)
    {
        var head = _dispatcher.Committable(partition) ?? -1;
        var work = partition.Work; // figures read without the lock: a moment old will do
        if (head != partition.Poll.HeadSeen || BackPressure.WaitsItsTurn(work.Waiting, work.Running, Math.Min(_options.MaxConcurrency, _dispatcher.Limit), busyPartitions))
        {
            partition.Poll.HeadSeen = head;
            partition.Poll.HeadMovedAt = now;
            return false;
        }

        return now - partition.Poll.HeadMovedAt >= StuckAfter;
    }

    /// <summary>Pauses and resumes partitions by their buffers and holds; called once per loop turn.</summary>
    public void ApplyBackPressure(DateTime now)
    {
        _drain.Look(now, _dispatcher.Buffered);
        var pressed = BackPressure.Pressed(_dispatcher.Buffered, _drain.PerSecond, StarvingAfter);
        int? starving = null; // asked only once a partition holds its share: it asks the client per partition
        var total = _dispatcher.Buffered;
        var bytes = _dispatcher.BufferedBytes;
        _share = BackPressure.Share(total, bytes, _options.MaxBufferedMessages, _options.MaxBufferedBytes, _partitions.Values.Count, _options.MaxBufferedMessagesPerPartition);
        var full = BackPressure.TotalFull(total, bytes, _options.MaxBufferedMessages, _options.MaxBufferedBytes);
        if (!full)
        {
            // A spell without room counts only while the buffer stays full: one left from an
            // earlier full spell paused every partition at the first look of the next one that
            // found no room at once (24 pauses in one no-op round of a loaded benchmark run).
            _noRoomSince = null;
        }

        if (!_allPaused && full)
        {
            _allPaused = !MakesRoom(now, ref pressed, ref starving);
        }
        else if (_allPaused && BackPressure.TotalDrained(total, bytes, _options.MaxBufferedMessages, _options.MaxBufferedBytes))
        {
            _allPaused = false;
        }

        List<PartitionState>? pause = null, resume = null;
        var relaxed = BackPressure.Relaxed(_dispatcher.Buffered, _dispatcher.BufferedBytes, _options.MaxBufferedMessages, _options.MaxBufferedBytes);
        var rebalancing = _rebalanceHold.IsHeld(now);
        int? busy = null; // counted only once a partition is past its limit: a scan of every partition
        int? ahead = null; // while the buffer is pressed, once a partition is paused: it needs the busy count
        foreach (var partition in _partitions.Values)
        {
            var buffered = partition.Buffered;
            var stuck = (buffered >= _options.MaxBufferedMessagesPerPartition && Stuck(partition, now, busy ??= BusyPartitions()))
                | (buffered >= _share && BackPressure.Crowds(buffered, _share, AnotherStarves(partition, now, pressed, ref starving)));
            var held = partition.Stopped | CompletionsFull(partition) | WaitingForRetry(partition) | rebalancing;
            var resumeAhead = partition.Poll.Paused && pressed
                ? ahead ??= BackPressure.ResumeAhead(_drain.PerSecond, busy ??= BusyPartitions(), _refetch.Current, _share)
                : 0;
            switch (BackPressure.Decide(new BackPressure.Partition(partition.Poll.Paused, buffered, stuck, held), _share, _allPaused, relaxed, resumeAhead))
            {
                case BackPressure.Decision.Pause:
                    (pause ??= []).Add(partition);
                    break;
                case BackPressure.Decision.Resume:
                    (resume ??= []).Add(partition);
                    break;
            }
        }

        _lowWaiting = pressed && full ? LowWaiting(now, ref starving) : 0;
        _starvingPressed = pressed && !_dispatcher.Runtime.Bugs.HasFlag(ReintroducedBugs.RunPastShare) ? starving ??= Starving(now, pressed: true) : 0;
        if (pause is not null)
        {
            Pause(pause);
        }

        if (resume is not null)
        {
            foreach (var partition in resume)
            {
                partition.Poll.Paused = false;
                partition.Poll.ResumedAt = _positions.Unread(partition) is true ? now : null; // one at the end of its log waits for new messages, not for a refetch
                _watchdog.Released(partition, _watchdog.Now);
            }

            List<TopicPartition> partitions = [.. resume.Select(p => p.TopicPartition)];
            _consumer.Resume(partitions);
            _observer.OnBackPressure(partitions, paused: false);
        }
    }

    /// <summary>Partitions with messages running or ready (<see cref="BackPressure.WaitsItsTurn"/>).</summary>
    private int BusyPartitions()
    {
        var busy = 0;
        foreach (var partition in _partitions.Values)
        {
            busy += partition.Work.Running > 0 || partition.Work.Waiting > 0 ? 1 : 0;
        }

        return busy;
    }

    /// <summary>A partition resumed by back-pressure delivered its first message since (<see cref="RefetchDelay"/>).</summary>
    public void Refetched(PartitionState partition, DateTime now)
    {
        _refetch.Observed(now - partition.Poll.ResumedAt.GetValueOrDefault(now));
        partition.Poll.ResumedAt = null;
    }

    /// <summary>
    /// With the total buffer full, whether the handlers make room without every partition being
    /// paused. Pausing every partition throws away what librdkafka prefetched of each, and at the
    /// resume the partition whose fetch lands first fills the buffer again, so a partition can
    /// miss turn after turn (on the simulator's fairness schedules, where no partition reached its
    /// own limit, a ready partition waited over 3 s in 5 of the first 6 seeds). Handlers that are
    /// just behind (a busy CPU) catch up within a short wait, so wait for them first: for half the
    /// buffer, or, while partitions past their share crowd out starving ones, for the room of one
    /// batch, since those are paused (below) and the starving ones' messages come next. Handlers
    /// that cannot free half the buffer within the wait are slow against it: the buffer is
    /// <paramref name="pressed"/> whatever the drain rate has told yet (at the start it has told
    /// nothing), and the feeder takes what room they make. Only handlers that made no room at all
    /// for <see cref="StuckAfter"/> get every partition paused, so rebalances are served (the
    /// consumer is asked for messages only while there is room, or nothing can come).
    /// </summary>
    private bool MakesRoom(DateTime now, ref bool pressed, ref int? starving)
    {
        if (!Crowded(now, pressed, ref starving))
        {
            if (WaitsForHalf())
            {
                return true;
            }

            pressed = true;
            starving = null;
        }

        return GetsRoom(now);
    }

    /// <summary>
    /// Waits up to <see cref="RoomWait"/> for the handlers to free half the buffer; true if they
    /// did. The wait goes in slices of <see cref="PaceSlice"/>, and ends early once a slice in
    /// which they handled something shows a pace too slow for the buffer (<see cref="BackPressure.ShownPressed"/>):
    /// before the first measurement of <see cref="DrainRate"/> the whole wait was spent on the
    /// partitions that filled the buffer (the first fetch's), and the others started 0.2 s behind
    /// them and kept that lead. The poll thread submits nothing meanwhile, so what left the buffer
    /// during a slice is what the handlers got through. At a steady pace the early end concludes
    /// what the whole wait would: pressed means under two buffers' worth a second, and half the
    /// buffer in 200 ms needs two and a half. A slice with nothing handled judges nothing
    /// (workers still starting): the wait goes on, as it did before. Ending it only while some
    /// partitions crowd out others (so never pausing every partition on one slice) was tried:
    /// fairness 0.80, 0.75 and 0.93 in three full quick runs against 0.99, 0.99 and 0.92 (cause not traced).
    /// </summary>
    private bool WaitsForHalf()
    {
        for (var waited = TimeSpan.Zero; waited < RoomWait; waited += PaceSlice)
        {
            var before = _dispatcher.Buffered;
            if (_dispatcher.WaitForRoom(_options.MaxBufferedMessages / 2, _options.MaxBufferedBytes / 2, PaceSlice))
            {
                return true;
            }

            var left = _dispatcher.Buffered;
            if (BackPressure.ShownPressed(before - left, PaceSlice, left, StarvingAfter))
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>
    /// Whether the handlers make room for a batch within the wait, or any room at all. A hiccup
    /// of the handlers (a collection, a busy CPU, workers still starting) must not pause every
    /// partition: none is waited for up to <see cref="StuckAfter"/>.
    /// </summary>
    private bool GetsRoom(DateTime now)
    {
        var batch = BackPressure.RoomFor(_options.MaxBufferedMessages, _options.MaxBufferedBytes, Feeder.MaxBatch);
        var any = BackPressure.RoomFor(_options.MaxBufferedMessages, _options.MaxBufferedBytes, 1);
        if (_dispatcher.WaitForRoom(batch.Messages, batch.Bytes, RoomWait) || _dispatcher.WaitForRoom(any.Messages, any.Bytes, TimeSpan.Zero))
        {
            _noRoomSince = null;
            return true;
        }

        _noRoomSince ??= now;
        return now - _noRoomSince < StuckAfter;
    }

    private bool CompletionsFull(PartitionState partition) => _completions.Full(partition);

    private bool WaitingForRetry(PartitionState partition) => RetryTopicWaits.WaitingForRetry(partition, _watchdog.Clock);

    private void Pause(List<PartitionState> states) => _pauses.Pause(states);
}
