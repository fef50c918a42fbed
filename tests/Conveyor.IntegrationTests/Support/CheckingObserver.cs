using Confluent.Kafka;
using Conveyor.Processing;

namespace Conveyor.IntegrationTests.Support;

/// <summary>Passes every event on to a recorder, then runs a check (so a test can wait on events, not on time).</summary>
internal sealed class CheckingObserver(IProcessorObserver inner, Action check) : IProcessorObserver
{
    public void OnPartitionsAssigned(IReadOnlyList<TopicPartition> partitions) => Then(() => inner.OnPartitionsAssigned(partitions));

    public void OnPartitionsRevoked(IReadOnlyList<TopicPartition> partitions) => Then(() => inner.OnPartitionsRevoked(partitions));

    public void OnPartitionsLost(IReadOnlyList<TopicPartition> partitions) => Then(() => inner.OnPartitionsLost(partitions));

    public void OnCommitted(IReadOnlyList<TopicPartitionOffset> offsets) => Then(() => inner.OnCommitted(offsets));

    public void OnCommitFailed(IReadOnlyList<TopicPartitionOffset> offsets, Error error) => Then(() => inner.OnCommitFailed(offsets, error));

    public void OnRetrying(TopicPartitionOffset message, int failedAttempt, Exception exception, TimeSpan delay) =>
        Then(() => inner.OnRetrying(message, failedAttempt, exception, delay));

    public void OnDeadLettered(TopicPartitionOffset message, TopicPartitionOffset deadLetter, Exception exception) =>
        Then(() => inner.OnDeadLettered(message, deadLetter, exception));

    public void OnPartitionStopped(TopicPartitionOffset message, Exception exception) => Then(() => inner.OnPartitionStopped(message, exception));

    public void OnBackPressure(IReadOnlyList<TopicPartition> partitions, bool paused) => Then(() => inner.OnBackPressure(partitions, paused));

    public void OnPartitionStalled(TopicPartitionOffset position, long endOffset, TimeSpan idle) => Then(() => inner.OnPartitionStalled(position, endOffset, idle));

    public void OnPartitionStallEnded(TopicPartition partition) => Then(() => inner.OnPartitionStallEnded(partition));

    public void OnFinishedSkipped(IReadOnlyList<TopicPartitionOffset> messages) => Then(() => inner.OnFinishedSkipped(messages));

    public void OnCompletionsFull(TopicPartitionOffset unfinished, bool full) => Then(() => inner.OnCompletionsFull(unfinished, full));

    public void OnCompletionsUnreadable(TopicPartitionOffset committed, string problem) => Then(() => inner.OnCompletionsUnreadable(committed, problem));

    public void OnError(Error error) => Then(() => inner.OnError(error));

    private void Then(Action record)
    {
        record();
        check();
    }
}
