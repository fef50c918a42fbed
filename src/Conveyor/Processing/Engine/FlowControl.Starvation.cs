namespace Conveyor.Processing.Engine;

/// <summary>
/// Flow control's judgement of who starves and who crowds: a partition with messages to read
/// and little in hand starves behind others' fetches in librdkafka's one queue; a partition
/// holding its share while another starves crowds it out, and is paused (or, while a full buffer
/// is pressed, rotated by the feeder after a slice).
/// </summary>
internal sealed partial class FlowControl
{
    /// <summary>
    /// How many partitions starve behind others' fetches in librdkafka's queue: each takes
    /// messages (not stopped, held for its completions or waiting for a retry's due time), the
    /// client knows of messages in it the engine has not received, and either the buffer is
    /// <paramref name="pressed"/> (the handlers need longer than <see cref="StarvingAfter"/> to get
    /// through it: judged at once, whatever the partition holds, so no partition takes more than
    /// its share while others wait to get in) or, for <see cref="StarvingAfter"/> at every look, it
    /// had under half its share buffered. The time keeps the ordinary churn of a fast consumer,
    /// where every partition's turn in librdkafka's queue comes within moments, from pausing
    /// anything (each pause makes librdkafka fetch the partition's prefetch again). Judging
    /// starvation at once whatever the handlers' pace made first messages even but cost a no-op
    /// run 15-21 pauses per 200,000 messages and about a fifth more CPU per message.
    /// </summary>
    private int Starving(DateTime now, bool pressed)
    {
        var count = 0;
        var workers = Math.Max(1, (int)Math.Ceiling(Math.Min(_options.MaxConcurrency, _dispatcher.Limit) / (double)Math.Max(1, _partitions.Values.Count)));
        foreach (var partition in _partitions.Values)
        {
            var known = partition.AcceptsWork && BackPressure.Hungry(partition.Buffered, partition.Work.Running, workers, _share, pressed)
                && partition.Poll.RetryDueAt is null && !partition.Poll.CompletionsFull
                ? _positions.Unread(partition)
                : false;
            partition.Poll.FirstFetchPending = known is null && AwaitsFirstFetch(partition, now);
            var unread = known ?? partition.Poll.FirstFetchPending;
            if (unread is not true)
            {
                partition.Poll.HungrySince = null;
                continue;
            }

            partition.Poll.HungrySince ??= now;
            count += Starves(partition, now, pressed) ? 1 : 0;
        }

        return count;
    }

    /// <summary>
    /// Whether the feeder should pause a partition now, after <paramref name="run"/> of its
    /// messages came in a row, so that librdkafka hands out the next partition's: at the last
    /// look the buffer was pressed and this run takes the partition to its share while another
    /// starves, or the total buffer was full and pressed and another partition starved with under
    /// half its share buffered. librdkafka
    /// hands out a whole fetch of one partition (thousands of messages) before the next one's,
    /// and a full buffer takes only what the handlers make room for, so without this the
    /// partitions that starve get in one after another, each after the one before took its
    /// limit, and a partition whose messages were fetched again waits behind another's whole
    /// fetch and runs dry. A pause drops what librdkafka queued of the partition; a look resumes
    /// it once it holds at most half its share, and its messages are fetched again behind the
    /// others'. Each starving partition gets a slice of one batch in turn.
    /// </summary>
    public bool Rotates(PartitionState partition, int run)
    {
        if (_starvingPressed > 0 && partition.Buffered + run >= _share && !partition.Poll.Paused
            && _starvingPressed > (partition.Poll.HungrySince is not null ? 1 : 0)
            && !_dispatcher.Runtime.Bugs.HasFlag(ReintroducedBugs.NoRotation))
        {
            // Past its share while others starve: a look would pause it as crowding, but only after
            // the whole batch. With room in the buffer (an abort's rewind emptied it) one partition's
            // fetch took 18 of 20 places; its handlers, one at a time under partition ordering, kept
            // them for 19 s while the buffer stayed full and every other partition was paused
            // (simulator, --large ExactlyOnce seed 341 before the refetch delay changed its run).
            return true;
        }

        if (_lowWaiting == 0)
        {
            return false; // the feeder asks for every message: while nothing starves, that is all it costs
        }

        var others = _lowWaiting - (Low(partition) && partition.Poll.HungrySince is not null ? 1 : 0);
        var slice = Math.Max(1, Math.Min(_share / 2, Feeder.MaxBatch / (_lowWaiting + 1)));
        return others > 0 && run >= slice && !partition.Poll.Paused && !_dispatcher.Runtime.Bugs.HasFlag(ReintroducedBugs.NoRotation);
    }

    /// <summary>Pauses a partition at once (<see cref="Rotates"/>).</summary>
    public void Rotate(PartitionState partition) => Pause([partition]);

    /// <summary>How many partitions starve (<see cref="Starving"/>) with under half their share buffered.</summary>
    private int LowWaiting(DateTime now, ref int? starving)
    {
        starving ??= Starving(now, pressed: true);
        if (starving == 0)
        {
            return 0;
        }

        var count = 0;
        foreach (var partition in _partitions.Values)
        {
            // A partition whose first fetch is pending has nothing queued in librdkafka behind the
            // others' fetches, so rotating them brings nothing of it forward.
            count += Low(partition) && !partition.Poll.FirstFetchPending && Starves(partition, now, pressed: true) ? 1 : 0;
        }

        return count;
    }

    private bool Low(PartitionState partition) => partition.Buffered < _share / 2;

    /// <summary>
    /// Whether a partition holding its share crowds out a starving one (<see cref="BackPressure.Crowds"/>):
    /// the pauses below then make way for the starving one.
    /// </summary>
    private bool Crowded(DateTime now, bool pressed, ref int? starving)
    {
        foreach (var partition in _partitions.Values)
        {
            if (partition.Buffered >= _share && AnotherStarves(partition, now, pressed, ref starving))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a partition other than this one starves (<see cref="Starving"/>, asked once per look into <paramref name="starving"/>).</summary>
    private bool AnotherStarves(PartitionState partition, DateTime now, bool pressed, ref int? starving)
    {
        starving ??= Starving(now, pressed);
        return starving > (Starves(partition, now, pressed) ? 1 : 0);
    }

    /// <summary>Whether <see cref="Starving"/> found this partition starving at this look: at once while its first fetch is pending (<see cref="AwaitsFirstFetch"/>).</summary>
    private static bool Starves(PartitionState partition, DateTime now, bool pressed) =>
        partition.Poll.HungrySince is { } since && (partition.Poll.FirstFetchPending || BackPressure.Starves(now - since, StarvingAfter, pressed));

    /// <summary>
    /// Whether a partition assigned less than <see cref="FirstFetchPatience"/> ago has delivered
    /// nothing yet. While the client cannot tell its end (librdkafka knows it only from the
    /// partition's first fetch response) it counts as having messages to read, and it starves at
    /// once, not after <see cref="StarvingAfter"/> or once the handlers show their pace. A partition whose
    /// first fetch lands first is otherwise taken whole (thousands of messages on a real broker,
    /// taken within milliseconds, before any look could judge), and its handlers run it alone
    /// until the others' first fetches come: in a loaded benchmark run one partition landed about
    /// 1 s before the others and fairness at half time was 0.73. Now it is paused at its share
    /// and resumes as usual, so its lead is what its share and refetches give it. The patience
    /// bounds what a partition that never delivers (its leader unreachable, nothing to read and no
    /// fetch response) costs the others: pauses at their share, as for any starving partition.
    /// A partition whose end is known goes by the usual rules: judging those at once too (tried)
    /// paused partitions right after a reassignment in the simulator and let one wait 0.6 s
    /// behind another's fetch on 4 of 500 fairness seeds (0.4 s at most before).
    /// </summary>
    private static bool AwaitsFirstFetch(PartitionState partition, DateTime now) =>
        partition.Poll.FirstDelivered < 0 && now - partition.Poll.AssignedAt < FirstFetchPatience;
}
