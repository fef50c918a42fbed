namespace Conveyor.Processing.Engine;

/// <summary>
/// The poll thread's part of a partition's state: read and written only on the poll thread, by
/// the <see cref="PollLoop"/>'s parts (<see cref="Feeder"/>, <see cref="FlowControl"/>, the commit
/// strategy, <see cref="StallWatchdog"/>, <see cref="ConsumerPositions"/>), so it needs no lock. Workers and the <see cref="Dispatcher"/>
/// never touch it; what they share with the poll thread is in <see cref="Dispatcher.PartitionWork"/>.
/// </summary>
internal sealed class PollThreadState
{
    /// <param name="completionFloor">The committed offset the assignment started from (its restored completions').</param>
    public PollThreadState(long completionFloor)
    {
        CompletionFloor = completionFloor;
    }

    /// <summary>Since when back-pressure has seen it starving: messages to read, under half its limit buffered (null when not).</summary>
    public DateTime? HungrySince { get; set; }

    /// <summary>At the last look for starving partitions: assigned moments ago, nothing delivered, and its end unknown to the client (<c>FlowControl.AwaitsFirstFetch</c>).</summary>
    public bool FirstFetchPending { get; set; }

    /// <summary>Paused in the client.</summary>
    public bool Paused { get; set; }

    /// <summary>When back-pressure last resumed it, until its next message arrives (null otherwise): how long a refetch takes.</summary>
    public DateTime? ResumedAt { get; set; }

    /// <summary>The last offset committed.</summary>
    public long LastCommitted { get; set; } = -1;

    /// <summary>The metadata of the last commit that succeeded.</summary>
    public string LastCommittedMetadata { get; set; } = string.Empty;

    /// <summary>The committable offset when the poll loop last asked; it only grows.</summary>
    public long CompletionFloor { get; set; }

    /// <summary>Paused because its finished offsets above the committable one would not fit the commit metadata.</summary>
    public bool CompletionsFull { get; set; }

    /// <summary>A retry topic's partition paused until its next message is due.</summary>
    public DateTime? RetryDueAt { get; set; }

    /// <summary>The lowest unfinished offset when back-pressure last looked, and since when it has not moved while the partition did not wait its turn for a worker.</summary>
    public long HeadSeen { get; set; } = -2;

    public DateTime HeadMovedAt { get; set; }

    /// <summary>The offset after the last message fetched from this partition, or -1 before the first (the stall watchdog's).</summary>
    public long NextOffset { get; set; } = -1;

    /// <summary>When this assignment of the partition began (<see cref="DateTime.MinValue"/> for a state made again by an abort's rewind).</summary>
    public DateTime AssignedAt { get; set; }

    /// <summary>The offset of the first message this assignment delivered, or -1 before it.</summary>
    public long FirstDelivered { get; set; } = -1;

    /// <summary>When the last message of this partition arrived (read once per poll turn: <see cref="Commits.QuietPartitions"/>).</summary>
    public DateTime LastDeliveredAt { get; set; }

    /// <summary>
    /// The committable offset a commit was last asked for because the partition went quiet, or -1:
    /// asked once, as an asynchronous commit moves <see cref="LastCommitted"/> only at the turn
    /// after it landed, and a failed one not at all (it is tried again on the interval).
    /// </summary>
    public long QuietCommitAsked { get; set; } = -1;

    /// <summary>Since when the partition has neither delivered a message nor been held by the engine (the stall watchdog's).</summary>
    public DateTime IdleSince { get; set; }

    /// <summary>Whether the stall watchdog reported this partition stalled and has not yet reported the stall's end.</summary>
    public bool ReportedStalled { get; set; }

    /// <summary>The stall watchdog found nothing to read here; it looks again from this time on.</summary>
    public DateTime StallCheckAfter { get; set; }
}
