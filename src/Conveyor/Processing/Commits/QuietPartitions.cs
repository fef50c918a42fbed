using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Commits;

/// <summary>
/// Whether a partition went quiet with finished work not yet committed
/// (<see cref="ProcessorOptions.IdleCommitDelay"/>): nothing arrived from it for the delay, every
/// message it received is finished, and its committable offset is above its last commit. Its
/// commit then does not wait for the interval: before, the last messages ahead of a pause in the
/// input stayed uncommitted for up to a whole <see cref="ProcessorOptions.CommitInterval"/> (5 s by
/// default), to be handled again by whoever got the partition next. A partition under load keeps
/// receiving, or has messages running (slow handlers behind back-pressure), so it does not ask:
/// each finished message would otherwise be a commit, and under exactly-once a transaction whose
/// commit waits for every handler that wrote outputs. Poll thread only.
/// </summary>
internal sealed class QuietPartitions
{
    /// <summary>
    /// How often a partition that is quiet but not done (a message still running) is looked at
    /// again: each look may take the dispatcher's lock, which a turn under load (thousands a second)
    /// should not take for it.
    /// </summary>
    private static readonly TimeSpan LookAgain = TimeSpan.FromMilliseconds(25);

    private readonly TimeSpan _delay;
    private readonly Dispatcher _dispatcher;
    private DateTime _nextLook;

    /// <param name="delay">How long a partition receives nothing before it is quiet; <see cref="Timeout.InfiniteTimeSpan"/> for never.</param>
    /// <param name="dispatcher">The partitions' committable offsets.</param>
    public QuietPartitions(TimeSpan delay, Dispatcher dispatcher)
    {
        _delay = delay;
        _dispatcher = dispatcher;
    }

    /// <summary>
    /// Whether any of <paramref name="partitions"/> is quiet with finished work above its last
    /// commit. Looks only when one may be: not before the first partition with work not yet
    /// committed can have been quiet for the delay.
    /// </summary>
    public bool AnyDue(IEnumerable<PartitionState> partitions, DateTime now)
    {
        if (_delay == Timeout.InfiniteTimeSpan || now < _nextLook)
        {
            return false;
        }

        // A message arriving after this look makes its partition quiet no sooner than a delay from now.
        var next = now + _delay;
        var due = false;
        foreach (var partition in partitions)
        {
            var poll = partition.Poll;

            // Before its first commit in this assignment, the committable offset starts at the first
            // message received, which is no progress (as in RunAheadBound.CommitDue).
            var from = Math.Max(poll.LastCommitted >= 0 ? poll.LastCommitted : poll.FirstDelivered, poll.QuietCommitAsked);
            if (poll.FirstDelivered < 0 || poll.NextOffset <= from || partition.Closed)
            {
                continue; // nothing received above the last commit
            }

            var quietAt = poll.LastDeliveredAt + _delay;
            if (now < quietAt)
            {
                next = quietAt < next ? quietAt : next;
            }
            else if (partition.Buffered == 0 && _dispatcher.Committable(partition) is { } committable && committable > from)
            {
                poll.QuietCommitAsked = committable;
                due = true;
            }
            else
            {
                next = now + LookAgain < next ? now + LookAgain : next;
            }
        }

        _nextLook = next;
        return due;
    }
}
