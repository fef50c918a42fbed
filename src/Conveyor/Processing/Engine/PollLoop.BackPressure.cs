using Confluent.Kafka;
using Conveyor.Processing.Completions;

namespace Conveyor.Processing.Engine;

/// <summary>
/// Back-pressure on the poll thread: gathers each partition's buffer state, asks
/// <see cref="BackPressure"/> what to do, and pauses or resumes partitions in the client.
/// </summary>
internal sealed partial class PollLoop
{
    /// <summary>How fast the handlers get through the buffer: whether a starving partition can wait for its turn.</summary>
    private readonly DrainRate _drain = new();

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
        if (head != partition.Poll.HeadSeen || BackPressure.WaitsItsTurn(work.Waiting, work.Running, _options.MaxConcurrency, busyPartitions))
        {
            partition.Poll.HeadSeen = head;
            partition.Poll.HeadMovedAt = now;
            return false;
        }

        return now - partition.Poll.HeadMovedAt >= StuckAfter;
    }

    private void ApplyBackPressure(DateTime now)
    {
        var total = _dispatcher.Buffered;
        var bytes = _dispatcher.BufferedBytes;
        if (!_allPaused && BackPressure.TotalFull(total, bytes, _options.MaxBufferedMessages, _options.MaxBufferedBytes))
        {
            // Pausing throws away what librdkafka has prefetched, and fetching resumes only after
            // a round trip. Handlers that are just behind (a busy CPU) catch up within a short
            // wait, so wait for them first; only slow handlers get their partitions paused.
            _allPaused = !_dispatcher.WaitForRoom(_options.MaxBufferedMessages / 2, _options.MaxBufferedBytes / 2, RoomWait);
        }
        else if (_allPaused && BackPressure.TotalDrained(total, bytes, _options.MaxBufferedMessages, _options.MaxBufferedBytes))
        {
            _allPaused = false;
        }

        _drain.Look(now, _dispatcher.Buffered);
        var pressed = BackPressure.Pressed(_dispatcher.Buffered, _drain.PerSecond, StarvingAfter);
        List<PartitionState>? pause = null, resume = null;
        var relaxed = BackPressure.Relaxed(_dispatcher.Buffered, _dispatcher.BufferedBytes, _options.MaxBufferedMessages, _options.MaxBufferedBytes);
        var rebalancing = _rebalanceHold.IsHeld(now);
        var busy = 0;
        foreach (var partition in _partitions.Values)
        {
            busy += partition.Work.Running > 0 || partition.Work.Waiting > 0 ? 1 : 0;
        }

        int? starving = null; // asked only once a partition is past its limit: it asks the client per partition
        foreach (var partition in _partitions.Values)
        {
            var buffered = partition.Buffered;
            var stuck = buffered >= _options.MaxBufferedMessagesPerPartition
                && (Stuck(partition, now, busy) | BackPressure.Crowds(buffered, _options.MaxBufferedMessagesPerPartition, AnotherStarves(partition, now, pressed, ref starving)));
            var held = partition.Stopped | CompletionsFull(partition) | WaitingForRetry(partition, now) | rebalancing;
            switch (BackPressure.Decide(new BackPressure.Partition(partition.Poll.Paused, buffered, stuck, held), _options.MaxBufferedMessagesPerPartition, _allPaused, relaxed))
            {
                case BackPressure.Decision.Pause:
                    (pause ??= []).Add(partition);
                    break;
                case BackPressure.Decision.Resume:
                    (resume ??= []).Add(partition);
                    break;
            }
        }

        if (pause is not null)
        {
            Pause(pause);
        }

        if (resume is not null)
        {
            foreach (var partition in resume)
            {
                partition.Poll.Paused = false;
                _watchdog.Released(partition, now);
            }

            List<TopicPartition> partitions = [.. resume.Select(p => p.TopicPartition)];
            _consumer.Resume(partitions);
            _observer.OnBackPressure(partitions, paused: false);
        }
    }

    /// <summary>
    /// How many partitions starve behind others' fetches in librdkafka's queue: each takes
    /// messages (not stopped, held for its completions or waiting for a retry's due time), the
    /// client knows of messages in it the engine has not received, and either the buffer is
    /// <paramref name="pressed"/> (the handlers need longer than <see cref="StarvingAfter"/> to get
    /// through it: judged at once, whatever the partition holds, so no partition takes more than
    /// its limit while others wait to get in) or, for <see cref="StarvingAfter"/> at every look, it
    /// had under half its limit buffered. The time keeps the ordinary churn of a fast consumer,
    /// where every partition's turn in librdkafka's queue comes within moments, from pausing
    /// anything (each pause makes librdkafka fetch the partition's prefetch again). Judging
    /// starvation at once whatever the handlers' pace made first messages even but cost a no-op
    /// run 15-21 pauses per 200,000 messages and about a fifth more CPU per message.
    /// </summary>
    private int Starving(DateTime now, bool pressed)
    {
        var count = 0;
        foreach (var partition in _partitions.Values)
        {
            var unread = partition.AcceptsWork && BackPressure.Hungry(partition.Buffered, _options.MaxBufferedMessagesPerPartition, pressed)
                && partition.Poll.RetryDueAt is null && !partition.Poll.CompletionsFull
                ? _positions.Unread(partition)
                : false;
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

    /// <summary>Whether a partition other than this one starves (<see cref="Starving"/>, asked once per look into <paramref name="starving"/>).</summary>
    private bool AnotherStarves(PartitionState partition, DateTime now, bool pressed, ref int? starving)
    {
        starving ??= Starving(now, pressed);
        return starving > (Starves(partition, now, pressed) ? 1 : 0);
    }

    /// <summary>Whether <see cref="Starving"/> found this partition starving at this look.</summary>
    private static bool Starves(PartitionState partition, DateTime now, bool pressed) =>
        partition.Poll.HungrySince is { } since && BackPressure.Starves(now - since, StarvingAfter, pressed);

    /// <summary>
    /// Whether a partition must take no new messages because the finished offsets above its lowest
    /// unfinished one could outgrow the commit metadata. Checked before each fetch, which takes at
    /// most <see cref="MaxBatch"/> messages, so the last tracked offset stays within
    /// <see cref="CompletionStore.MaxSpan"/> of the committable one and every map fits. It takes
    /// messages again once that distance is down to half.
    /// </summary>
    private bool CompletionsFull(PartitionState partition)
    {
        if (_completions is null || partition.Poll.NextOffset < 0)
        {
            return false;
        }

        var limit = partition.Poll.CompletionsFull ? _completions.MaxSpan / 2 : _completions.MaxSpan - MaxBatch;
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

    private void Pause(List<PartitionState> states)
    {
        foreach (var partition in states)
        {
            partition.Poll.Paused = true;
        }

        List<TopicPartition> partitions = [.. states.Select(p => p.TopicPartition)];
        _consumer.Pause(partitions);

        // A partition stopped at a failed message is paused too, but that is no back-pressure:
        // OnPartitionStopped has told of it already. Nor is a retry topic waiting for a due time.
        List<TopicPartition> pressed = [.. states.Where(p => !p.Stopped && p.Poll.RetryDueAt is null).Select(p => p.TopicPartition)];
        if (pressed.Count > 0)
        {
            _observer.OnBackPressure(pressed, paused: true);
        }
    }
}
