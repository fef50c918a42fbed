using Confluent.Kafka;
using Conveyor.Processing.Offsets;

namespace Conveyor.Processing.Engine;

/// <summary>
/// What the engine knows of one assigned partition. Every field but <see cref="Paused"/> and
/// <see cref="LastCommitted"/> (poll thread only) is guarded by the dispatcher's lock.
/// </summary>
internal sealed class PartitionState
{
    public PartitionState(TopicPartition topicPartition)
    {
        TopicPartition = topicPartition;
    }

    public TopicPartition TopicPartition { get; }

    public PartitionOffsetTracker Offsets { get; } = new();

    /// <summary>Fetched messages not yet finished or dropped.</summary>
    public int Buffered { get; set; }

    public long BufferedBytes { get; set; }

    /// <summary>Handlers running now.</summary>
    public int Running { get; set; }

    /// <summary>Being revoked or stopped: nothing more starts, running handlers finish and still count.</summary>
    public bool Draining { get; set; }

    /// <summary>Revoked (and committed) or lost: finished work no longer counts.</summary>
    public bool Closed { get; set; }

    /// <summary>A message failed for good with <see cref="FailureAction.StopPartition"/>: nothing more starts.</summary>
    public bool Stopped { get; set; }

    /// <summary>Completes when <see cref="Running"/> reaches zero after a drain was asked for.</summary>
    public TaskCompletionSource? Drained { get; set; }

    public bool Paused { get; set; }

    /// <summary>At-most-once: messages fetched into the batch that is committed before they are submitted (poll thread only).</summary>
    public int Batched { get; set; }

    public long LastCommitted { get; set; } = -1;

    public bool AcceptsWork => !Draining && !Closed && !Stopped;
}
