using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Completions;

/// <summary>
/// Watermark commits (completions not persisted): a partition's next owner handles again every
/// message above the committed offset, finished or not, so what a partition finished above its
/// lowest unfinished message is what a rebalance or a killed member costs. Under churn that gap
/// grew to whole partitions, handled again at every fault (on a real broker 194,000-264,000
/// duplicates per 20,000 ids, and no end). This bounds it: a partition takes no new messages
/// while the last message it received is more than <see cref="Limit"/> past its lowest unfinished
/// one (<see cref="FlowControl"/> pauses it as held, and resumes it at half), and its commit does
/// not wait for the interval once the lowest unfinished offset moved half the limit past the last
/// commit. A partition whose head finishes keeps moving; one whose head waits (a retry's back-off,
/// a slow handler) stops taking work instead of piling up work to be done again. Poll thread only.
/// </summary>
internal sealed class RunAheadBound(Dispatcher dispatcher, long limit)
{
    /// <summary>How far past its lowest unfinished offset a partition may have received messages.</summary>
    public long Limit { get; } = limit;

    /// <summary>
    /// Whether <paramref name="partition"/> must take no new messages now: checked each poll turn,
    /// before a fetch of at most <see cref="Feeder.MaxBatch"/> messages, so a partition ends at
    /// most that far past the limit. Asks the dispatcher only when the partition may be past it.
    /// </summary>
    public bool Full(PartitionState partition)
    {
        var poll = partition.Poll;
        if (poll.NextOffset < 0)
        {
            return false;
        }

        var limit = poll.CompletionsFull ? Limit / 2 : Limit;
        if (!poll.CompletionsFull && poll.NextOffset - poll.CompletionFloor <= limit)
        {
            return false; // the floor only grows, so the distance is no larger than this
        }

        if (dispatcher.Committable(partition) is { } head)
        {
            poll.CompletionFloor = Math.Max(poll.CompletionFloor, head);
        }

        poll.CompletionsFull = poll.NextOffset - poll.CompletionFloor > limit;
        return poll.CompletionsFull;
    }

    /// <summary>
    /// Whether <paramref name="partition"/>'s lowest unfinished offset moved at least half the
    /// limit past its last commit (or, before its first commit in this assignment, past the first
    /// message it received): a member killed now would cost its next owner that much again.
    /// </summary>
    public bool CommitDue(PartitionState partition)
    {
        var poll = partition.Poll;
        var from = poll.LastCommitted >= 0 ? poll.LastCommitted : poll.FirstDelivered;
        if (from < 0 || poll.NextOffset - from < Limit / 2)
        {
            return false; // the lowest unfinished offset is below the next one, so it has not moved that far
        }

        return dispatcher.Committable(partition) is { } head && head - from >= Math.Max(1, Limit / 2);
    }
}
