using Confluent.Kafka;
using Conveyor.Processing.Completions;
using Conveyor.Processing.Offsets;

namespace Conveyor.Processing.Engine;

/// <summary>
/// What the engine knows of one assigned partition. Fields marked "poll thread only" belong to
/// the poll loop; the others are guarded by the dispatcher's lock.
/// </summary>
internal sealed class PartitionState
{
    /// <param name="topicPartition">The partition.</param>
    /// <param name="restored">Offsets a previous owner finished, read from the committed offset's metadata.</param>
    public PartitionState(TopicPartition topicPartition, CompletionMap? restored = null)
    {
        TopicPartition = topicPartition;
        Restored = restored ?? CompletionMap.Empty;
        Offsets = new PartitionOffsetTracker(Restored);
        CompletionFloor = Restored.Committed;
    }

    public TopicPartition TopicPartition { get; }

    public PartitionOffsetTracker Offsets { get; }

    /// <summary>Offsets finished before this assignment: the poll loop skips their messages. Immutable.</summary>
    public CompletionMap Restored { get; }

    /// <summary>The committable offset when the poll loop last asked; it only grows (poll thread only).</summary>
    public long CompletionFloor { get; set; }

    /// <summary>Paused because its finished offsets above the committable one would not fit the commit metadata (poll thread only).</summary>
    public bool CompletionsFull { get; set; }

    /// <summary>A retry topic's partition paused until its next message is due (poll thread only).</summary>
    public DateTime? RetryDueAt { get; set; }

    /// <summary>The metadata of the last commit that succeeded (poll thread only).</summary>
    public string LastCommittedMetadata { get; set; } = string.Empty;

    /// <summary>The dispatcher's part: buffer counts and lifecycle, written only by the <see cref="Dispatcher"/> under its lock.</summary>
    public Dispatcher.PartitionWork Work { get; } = Dispatcher.NewWork();

    /// <summary>Fetched messages not yet finished or dropped (the dispatcher's; read without its lock only for figures and estimates).</summary>
    public int Buffered => Work.Buffered;

    /// <summary>Revoked (and committed) or lost: finished work no longer counts (the dispatcher's).</summary>
    public bool Closed => Work.Closed;

    /// <summary>A message failed for good with <see cref="FailureAction.StopPartition"/>: nothing more starts (the dispatcher's).</summary>
    public bool Stopped => Work.Stopped;

    /// <summary>Neither draining, closed nor stopped (the dispatcher's).</summary>
    public bool AcceptsWork => Work.AcceptsWork;

    /// <summary>Paused in the client (poll thread only).</summary>
    public bool Paused { get; set; }

    /// <summary>At-most-once: messages fetched into the batch that is committed before they are submitted (poll thread only).</summary>
    public int Batched { get; set; }

    /// <summary>The last offset committed (poll thread only).</summary>
    public long LastCommitted { get; set; } = -1;

    /// <summary>The lowest unfinished offset when back-pressure last looked, and since when it has not moved (poll thread only).</summary>
    public long HeadSeen { get; set; } = -2;

    public DateTime HeadMovedAt { get; set; }

    /// <summary>The offset after the last message fetched from this partition, or -1 before the first (poll thread only).</summary>
    public long NextOffset { get; set; } = -1;

    /// <summary>Since when the partition has neither delivered a message nor been held by the engine (poll thread only).</summary>
    public DateTime IdleSince { get; set; }

    /// <summary>Whether the stall watchdog reported this partition stalled and has not yet reported the stall's end (poll thread only).</summary>
    public bool ReportedStalled { get; set; }

    /// <summary>The stall watchdog found nothing to read here; it looks again from this time on (poll thread only).</summary>
    public DateTime StallCheckAfter { get; set; }
}
