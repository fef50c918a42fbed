namespace Conveyor.Processing.Engine;

/// <summary>
/// The back-pressure rules as pure functions of buffer state, so they are tested without a
/// consumer. The poll thread gathers the state, asks, and pauses or resumes in the client.
/// </summary>
internal static class BackPressure
{
    /// <summary>What to do with one partition.</summary>
    public enum Decision
    {
        Keep,
        Pause,
        Resume,
    }

    /// <summary>
    /// One partition's state as the rules see it.
    /// </summary>
    /// <param name="Paused">Paused in the client now.</param>
    /// <param name="Buffered">Its fetched, unfinished messages.</param>
    /// <param name="Stuck">Held back by its own handlers (its lowest unfinished offset has not moved for a while, and it did not wait its turn for a worker meanwhile), or crowding out a starving partition (<see cref="Crowds"/>); only asked for when past its limit or its share.</param>
    /// <param name="Held">It must take nothing new whatever its buffer: stopped at a failure, its completion map full, waiting for a retry's due time, or the group rebalancing.</param>
    public readonly record struct Partition(bool Paused, int Buffered, bool Stuck, bool Held);

    /// <summary>
    /// Pause a partition when every partition must pause (<paramref name="allPaused"/>), when it is
    /// held, or when it is past its own limit <em>and</em> stuck: a partition whose handlers keep up is
    /// not paused for its own count, since a pause discards what librdkafka prefetched. Resume a paused
    /// one once nothing holds it and it is down to half its limit, or the whole buffer is
    /// <paramref name="relaxed"/> (a quarter full) and the partition itself is not full and stuck:
    /// resuming that one would pause it again at the next look, and every pause throws away what
    /// librdkafka prefetched. <paramref name="limitPerPartition"/> is the limit as flow control
    /// applies it: the partition's <see cref="Share"/>. A paused partition also resumes once it holds
    /// no more than <paramref name="resumeAhead"/> (<see cref="ResumeAhead"/>): what its handlers get
    /// through before its messages come back.
    /// </summary>
    public static Decision Decide(Partition partition, int limitPerPartition, bool allPaused, bool relaxed, int resumeAhead = 0)
    {
        var full = partition.Buffered >= limitPerPartition && partition.Stuck;
        if (!partition.Paused)
        {
            return allPaused || full || partition.Held ? Decision.Pause : Decision.Keep;
        }

        var drained = (relaxed && !full) || partition.Buffered <= Math.Max(limitPerPartition / 2, resumeAhead);
        return !allPaused && drained && !partition.Held ? Decision.Resume : Decision.Keep;
    }

    /// <summary>
    /// How many messages a paused partition should still hold when it resumes, so that it does not
    /// run dry before its messages come back after <paramref name="refetchDelay"/> (<see cref="RefetchDelay"/>):
    /// its part of the handlers' pace (<paramref name="handledPerSecond"/> over the
    /// <paramref name="busyPartitions"/>, which take turns for the workers) for that time. A partition
    /// that runs dry while the others are served falls behind them for good: at half its share, the
    /// fairness layout's partitions held 0.75 s of work against refetches of up to 1 s, ran dry
    /// one after another, and the ones that did not kept a lead of hundreds of messages. At most
    /// three quarters of the <paramref name="share"/>, so a partition is not resumed at the look
    /// after its pause; none before the handlers have shown their pace.
    /// </summary>
    public static int ResumeAhead(double? handledPerSecond, int busyPartitions, TimeSpan refetchDelay, int share) =>
        handledPerSecond is { } rate
            ? (int)Math.Min(share * 3L / 4, Math.Ceiling(rate / Math.Max(1, busyPartitions) * refetchDelay.TotalSeconds))
            : 0;

    /// <summary>
    /// Whether a partition waits its turn for a worker, rather than for its own handlers: it has
    /// ready messages (<paramref name="waiting"/>) and runs fewer than its share of the workers,
    /// <paramref name="maxConcurrency"/> over the <paramref name="busyPartitions"/> that have messages
    /// running or ready, rounded up. Partitions are served in turn, so such a partition gets its next
    /// worker after the others' turns; one that runs its share or more, or has nothing ready, is held
    /// back by its own handlers.
    /// </summary>
    public static bool WaitsItsTurn(int waiting, int running, int maxConcurrency, int busyPartitions) =>
        waiting > 0 && running < (maxConcurrency + Math.Max(busyPartitions, 1) - 1) / Math.Max(busyPartitions, 1);

    /// <summary>
    /// Whether a partition crowds out others: it holds its <see cref="Share"/> while another partition that
    /// takes messages and has messages to read starves (<see cref="Starves"/>, <see cref="Hungry"/>). librdkafka hands out
    /// what it fetched in one queue, a whole fetch of one partition (thousands of messages on a
    /// real broker) after another's, so without a pause the partitions fetched first fill the
    /// buffer and the others wait behind them, however fairly the workers take turns. Pausing
    /// the crowding one drops what librdkafka queued of it (fetched again when it resumes at half
    /// its share), and the starving partition's messages come forward.
    /// </summary>
    public static bool Crowds(int buffered, int share, bool anotherStarves) =>
        buffered >= share && anotherStarves;

    /// <summary>
    /// Whether a partition that has had messages to read and little buffered for
    /// <paramref name="hungryFor"/> starves behind others' fetches: at once while the buffer is
    /// <paramref name="pressed"/> (<see cref="Pressed"/>), else after <paramref name="patience"/>.
    /// </summary>
    public static bool Starves(TimeSpan hungryFor, TimeSpan patience, bool pressed) =>
        pressed || hungryFor >= patience;

    /// <summary>
    /// Whether a partition that takes messages and has messages to read counts as waiting for
    /// room: while the buffer is <paramref name="pressed"/>, whenever fewer of its messages are
    /// being handled (<paramref name="running"/>) than its <paramref name="share"/> of the workers,
    /// whatever it holds (a partition past its limit takes the room it will need when its turn
    /// comes, and once the buffer is full every partition is paused and the ones that drain first
    /// run dry); a partition running its share is served, and pausing others gains it nothing.
    /// Else only under half its limit.
    /// </summary>
    /// <remarks>
    /// The share is rounded up (<c>FlowControl.Starving</c>), so with 8 workers and 3 busy partitions
    /// it is 3 and the partition running 2, as one of them must, counts as hungry. That is meant:
    /// rounded down, a partition whose next messages wait in librdkafka behind others' fetches would
    /// count only once it ran dry, and its workers would idle until then. What the rounding costs is
    /// small: only partitions past their limit are paused for it (<see cref="Crowds"/>), each holds
    /// enough to keep its workers busy until it resumes at half, and librdkafka fetching its
    /// prefetch again is cheap beside handlers slow enough to press the buffer.
    /// </remarks>
    public static bool Hungry(int buffered, int running, int share, int limitPerPartition, bool pressed) =>
        pressed ? running < share : buffered < limitPerPartition / 2;

    /// <summary>
    /// Whether the buffer is pressed: the handlers, at <paramref name="handledPerSecond"/>, need
    /// longer than <paramref name="patience"/> to get through the <paramref name="buffered"/>
    /// messages. Not before they have shown their pace. A partition whose messages queue behind those
    /// in librdkafka then waits seconds, not moments, and waiting does not help it: it gets in
    /// only as the partitions fetched first leave room. With fast handlers even a full buffer is
    /// gone in milliseconds and every partition's turn comes by itself; pausing there only makes
    /// librdkafka fetch the paused partition's prefetch again.
    /// </summary>
    public static bool Pressed(int buffered, double? handledPerSecond, TimeSpan patience) =>
        handledPerSecond is { } rate && buffered > rate * patience.TotalSeconds;

    /// <summary>
    /// Whether handlers that got through <paramref name="drained"/> messages in
    /// <paramref name="span"/> (a part of the wait for room, nothing submitted meanwhile) show the
    /// buffer <see cref="Pressed"/> at that pace, before <see cref="DrainRate"/> has measured any.
    /// A span in which nothing was handled tells nothing (workers still starting, a collection).
    /// </summary>
    public static bool ShownPressed(int drained, TimeSpan span, int buffered, TimeSpan patience) =>
        drained > 0 && Pressed(buffered, drained / span.TotalSeconds, patience);

    /// <summary>
    /// How many messages one partition may hold while another starves: its own limit, or its
    /// share of the total buffer among the <paramref name="partitions"/> owned, whichever is
    /// smaller. When the partitions together could hold more than the total (4 × 100 against 40),
    /// their own limit never binds, and a partition whose one fetch filled the total crowded out
    /// the others with no rule to make way for them. The share is never below a tenth of the
    /// total: a partition holding less delays the others by less than a tenth of the buffer's
    /// drain, and pausing many such partitions throws away each one's prefetch for little (1,000
    /// partitions against 10,000 messages, a share of 10: 500 pauses in one 60,000-message no-op
    /// round on a loaded machine). The total counts in messages of the buffer's current mean size
    /// when the bytes cap binds first.
    /// </summary>
    public static int Share(int buffered, long bufferedBytes, int maxMessages, long maxBytes, int partitions, int limitPerPartition)
    {
        var capacity = buffered > 0 && bufferedBytes > 0
            ? (int)Math.Min(maxMessages, maxBytes * (double)buffered / bufferedBytes)
            : maxMessages;
        return Math.Max(1, Math.Min(limitPerPartition, Math.Max(capacity / Math.Max(1, partitions), capacity / 10)));
    }

    /// <summary>Whether the buffer as a whole is at most a quarter full: every partition may fetch again.</summary>
    public static bool Relaxed(int buffered, long bufferedBytes, int maxMessages, long maxBytes) =>
        buffered <= maxMessages / 4 && bufferedBytes <= maxBytes / 4;

    /// <summary>Whether the whole buffer is at its limit, counting what is fetched and not yet submitted.</summary>
    public static bool TotalFull(int buffered, long bufferedBytes, int maxMessages, long maxBytes) =>
        buffered >= maxMessages || bufferedBytes >= maxBytes;

    /// <summary>
    /// The buffer's level, in messages and bytes, at which a full buffer has room for
    /// <paramref name="messages"/> more (at most a tenth of the buffer, at least one).
    /// </summary>
    public static (int Messages, long Bytes) RoomFor(int maxMessages, long maxBytes, int messages)
    {
        var room = Math.Max(1, Math.Min(messages, maxMessages / 10));
        return (maxMessages - room, maxBytes - (maxBytes / maxMessages * room));
    }

    /// <summary>Whether every partition, paused for a full buffer, may fetch again: the buffer is down to half.</summary>
    public static bool TotalDrained(int buffered, long bufferedBytes, int maxMessages, long maxBytes) =>
        buffered <= maxMessages / 2 && bufferedBytes <= maxBytes / 2;
}
