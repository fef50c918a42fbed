using Confluent.Kafka;
using Conveyor.Processing.Completions;
using Conveyor.Processing.Transactions;

namespace Conveyor.Processing.Engine;

/// <summary>
/// What the engine knows of one assigned partition, in parts by owner: <see cref="Work"/> is the
/// dispatcher's (written only by it, under its lock), <see cref="Poll"/> the poll thread's (no
/// lock), and the rest never changes after the assignment. The partition's offset tracker is in
/// the dispatcher's part, out of everyone else's reach.
/// </summary>
internal sealed class PartitionState
{
    private int _stopReported;

    /// <param name="topicPartition">The partition.</param>
    /// <param name="restored">Offsets a previous owner finished, read from the committed offset's metadata.</param>
    /// <param name="attempts">Exactly-once: the failed handler calls of the state it replaces after an aborted transaction's rewind.</param>
    public PartitionState(TopicPartition topicPartition, CompletionMap? restored = null, FailedAttempts? attempts = null)
    {
        TopicPartition = topicPartition;
        Attempts = attempts ?? new FailedAttempts();
        Restored = restored ?? CompletionMap.Empty;
        Work = Dispatcher.NewWork(Restored);
        Poll = new PollThreadState(completionFloor: Restored.Committed);
    }

    public TopicPartition TopicPartition { get; }

    /// <summary>Exactly-once: failed handler calls per message, carried across an aborted transaction's rewind (<see cref="FailedAttempts"/>).</summary>
    public FailedAttempts Attempts { get; }

    /// <summary>Offsets finished before this assignment: the poll loop skips their messages. Immutable.</summary>
    public CompletionMap Restored { get; }

    /// <summary>The dispatcher's part: buffer counts and lifecycle, written only by the <see cref="Dispatcher"/> under its lock.</summary>
    public Dispatcher.PartitionWork Work { get; }

    /// <summary>The poll thread's part: pauses, commits, back-pressure and stall watch, read and written on the poll thread only.</summary>
    public PollThreadState Poll { get; }

    /// <summary>Fetched messages not yet finished or dropped (the dispatcher's; read without its lock only for figures and estimates).</summary>
    public int Buffered => Work.Buffered;

    /// <summary>Revoked (and committed) or lost: finished work no longer counts (the dispatcher's).</summary>
    public bool Closed => Work.Closed;

    /// <summary>A message failed for good with <see cref="FailureAction.StopPartition"/>: nothing more starts (the dispatcher's).</summary>
    public bool Stopped => Work.Stopped;

    /// <summary>
    /// Claims the one report of this partition's stop (<see cref="IProcessorObserver.OnPartitionStopped"/>):
    /// true for the first message that stops it, false for any other in flight that fails for good after it
    /// (key ordering runs several at once).
    /// </summary>
    public bool ClaimStopReport() => Interlocked.Exchange(ref _stopReported, 1) == 0;

    /// <summary>Neither draining, closed nor stopped (the dispatcher's).</summary>
    public bool AcceptsWork => Work.AcceptsWork;
}
