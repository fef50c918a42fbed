using Confluent.Kafka;
using Conveyor.Processing;

namespace Conveyor.IntegrationTests.Support;

/// <summary>Passes every event to several observers (e.g. one per processor and one shared).</summary>
internal sealed class TeeObserver(params IProcessorObserver[] observers) : IProcessorObserver
{
    public void OnPartitionsAssigned(IReadOnlyList<TopicPartition> partitions) => Each(o => o.OnPartitionsAssigned(partitions));

    public void OnPartitionsRevoked(IReadOnlyList<TopicPartition> partitions) => Each(o => o.OnPartitionsRevoked(partitions));

    public void OnPartitionsLost(IReadOnlyList<TopicPartition> partitions) => Each(o => o.OnPartitionsLost(partitions));

    public void OnCommitted(IReadOnlyList<TopicPartitionOffset> offsets) => Each(o => o.OnCommitted(offsets));

    public void OnCommitFailed(IReadOnlyList<TopicPartitionOffset> offsets, Error error) => Each(o => o.OnCommitFailed(offsets, error));

    public void OnRetrying(TopicPartitionOffset message, int failedAttempt, Exception exception, TimeSpan delay) =>
        Each(o => o.OnRetrying(message, failedAttempt, exception, delay));

    public void OnDeadLettered(TopicPartitionOffset message, TopicPartitionOffset deadLetter, Exception exception) =>
        Each(o => o.OnDeadLettered(message, deadLetter, exception));

    public void OnPartitionStopped(TopicPartitionOffset message, Exception exception) => Each(o => o.OnPartitionStopped(message, exception));

    public void OnBackPressure(IReadOnlyList<TopicPartition> partitions, bool paused) => Each(o => o.OnBackPressure(partitions, paused));

    public void OnPartitionStalled(TopicPartitionOffset position, long endOffset, TimeSpan idle) => Each(o => o.OnPartitionStalled(position, endOffset, idle));

    public void OnPartitionStallEnded(TopicPartition partition) => Each(o => o.OnPartitionStallEnded(partition));

    public void OnFinishedSkipped(IReadOnlyList<TopicPartitionOffset> messages) => Each(o => o.OnFinishedSkipped(messages));

    public void OnCompletionsFull(TopicPartitionOffset unfinished, bool full) => Each(o => o.OnCompletionsFull(unfinished, full));

    public void OnCompletionsUnreadable(TopicPartitionOffset committed, string problem) => Each(o => o.OnCompletionsUnreadable(committed, problem));

    public void OnError(Error error) => Each(o => o.OnError(error));

    private void Each(Action<IProcessorObserver> call)
    {
        foreach (var observer in observers)
        {
            call(observer);
        }
    }
}
