using Confluent.Kafka;
using Conveyor.DeadLetters;

namespace Conveyor.Processing;

/// <summary>
/// Hears what a processor does: rebalances, commits, retries, dead letters, stops. Every method
/// has an empty default; implement the ones you need. Called from the processor's threads: keep
/// them short and thread-safe. To pass events on to other observers, derive from
/// <see cref="CompositeObserver"/>, which passes every event on.
/// </summary>
public interface IProcessorObserver
{
    /// <summary>Partitions were assigned (with the cooperative protocols: only the added ones).</summary>
    void OnPartitionsAssigned(IReadOnlyList<TopicPartition> partitions)
    {
    }

    /// <summary>Partitions were revoked, after their running handlers finished (or timed out) and their offsets were committed.</summary>
    void OnPartitionsRevoked(IReadOnlyList<TopicPartition> partitions)
    {
    }

    /// <summary>
    /// Partitions were lost: this member's group membership ended without a revoke (its session
    /// timed out, or the coordinator could not be reached), so they may be someone else's already;
    /// nothing was committed for them.
    /// </summary>
    void OnPartitionsLost(IReadOnlyList<TopicPartition> partitions)
    {
    }

    /// <summary>Offsets were committed: each the next offset to read in its partition.</summary>
    void OnCommitted(IReadOnlyList<TopicPartitionOffset> offsets)
    {
    }

    /// <summary>A commit failed; it is retried, and the committed offsets stay where they were.</summary>
    void OnCommitFailed(IReadOnlyList<TopicPartitionOffset> offsets, Error error)
    {
    }

    /// <summary>A handler call failed and will be retried after <paramref name="delay"/>.</summary>
    void OnRetrying(TopicPartitionOffset message, int failedAttempt, Exception exception, TimeSpan delay)
    {
    }

    /// <summary>A message that failed for good was written to the dead-letter topic (and acknowledged).</summary>
    void OnDeadLettered(TopicPartitionOffset message, TopicPartitionOffset deadLetter, Exception exception)
    {
    }

    /// <summary>
    /// A partition was stopped at a message that failed for good (or could not be dead-lettered):
    /// once per assignment, for the first message that stops it. Another message in flight that fails
    /// for good after it is not reported; if its offset is lower, the committed offset stays there.
    /// </summary>
    void OnPartitionStopped(TopicPartitionOffset message, Exception exception)
    {
    }

    /// <summary>Partitions were paused because too many fetched messages are unfinished (true), or resumed (false).</summary>
    void OnBackPressure(IReadOnlyList<TopicPartition> partitions, bool paused)
    {
    }

    /// <summary>
    /// Messages were not handed to the handler because they were already finished: the offset
    /// commit metadata of their partition (<see cref="ProcessorOptions.PersistCompletions"/>)
    /// records them as finished above an unfinished one, by this processor before a rebalance or
    /// restart, or by another member.
    /// </summary>
    void OnFinishedSkipped(IReadOnlyList<TopicPartitionOffset> messages)
    {
    }

    /// <summary>
    /// Messages were finished without handling because they belong to another consumer group:
    /// their <see cref="DeadLetterHeaders.TargetGroup"/> header names that group (a retry of
    /// another group's failure, or a dead letter replayed to another group).
    /// </summary>
    void OnOtherGroupSkipped(IReadOnlyList<TopicPartitionOffset> messages)
    {
    }

    /// <summary>
    /// The finished offsets of a partition above its lowest unfinished one, <paramref name="unfinished"/>,
    /// reach so far that the next ones would not fit <see cref="ProcessorOptions.CommitMetadataMaxBytes"/>:
    /// the partition takes no new messages until that message finishes (<paramref name="full"/> true),
    /// or takes them again (false).
    /// </summary>
    void OnCompletionsFull(TopicPartitionOffset unfinished, bool full)
    {
    }

    /// <summary>
    /// The metadata committed with <paramref name="committed"/> is not a completion map this
    /// processor can read (another tool's text, corrupt, another version): it is ignored, and
    /// messages from the committed offset on are handled as usual.
    /// </summary>
    void OnCompletionsUnreadable(TopicPartitionOffset committed, string problem)
    {
    }

    /// <summary>
    /// An assigned partition has messages to read but has delivered none for <paramref name="idle"/>,
    /// although the engine does not hold it (no back-pressure, not stopped): it is stalled. Reported
    /// once per stall (see <see cref="ProcessorOptions.StallTimeout"/>); <see cref="OnPartitionStallEnded"/>
    /// follows when it delivers again or is revoked.
    /// </summary>
    /// <param name="position">The partition and the next offset the engine expects from it.</param>
    /// <param name="endOffset">The partition's end offset (high watermark) as last known.</param>
    /// <param name="idle">How long it has delivered nothing.</param>
    void OnPartitionStalled(TopicPartitionOffset position, long endOffset, TimeSpan idle)
    {
    }

    /// <summary>A partition reported by <see cref="OnPartitionStalled"/> delivers again, or is no longer assigned.</summary>
    void OnPartitionStallEnded(TopicPartition partition)
    {
    }

    /// <summary>
    /// The processor has had no partition assigned for <see cref="ProcessorOptions.UnavailableTimeout"/>,
    /// and <paramref name="problem"/> says why: the cluster cannot
    /// be reached or refuses the client (in the client's words), or a subscribed topic does not exist.
    /// Reported again after each further period while it lasts.
    /// </summary>
    void OnUnavailable(string problem)
    {
    }

    /// <summary>
    /// Topics that failed messages are written to (the dead-letter topic, with
    /// <see cref="FailureAction.RetryTopics"/> the retry topics too) do not exist. Reported once,
    /// when the processor first gets partitions: at the first failure a cluster that creates topics
    /// on use would create one with its defaults, and one that does not would refuse the write and
    /// the message's partition would stop. Create them before then.
    /// </summary>
    void OnFailureTopicsMissing(IReadOnlyList<string> topics)
    {
    }

    /// <summary>The client reported an error; fatal ones stop the processor.</summary>
    void OnError(Error error)
    {
    }

    /// <summary>
    /// One of librdkafka's own log lines (from the consumer, or a dead-letter, output or transactional producer), secret
    /// property values masked. Mostly warnings and errors; <c>debug=...</c> adds debug lines.
    /// </summary>
    void OnClientLog(LogMessage message)
    {
    }
}
