using Confluent.Kafka;
using Conveyor.Processing;

namespace Conveyor.Hosting;

/// <summary>Tells every one of several observers about each event, so no wrapper forwards events by hand and none is forgotten.</summary>
internal sealed class ObserverFanOut(IReadOnlyList<IProcessorObserver> observers) : IProcessorObserver
{
    /// <summary>One observer for the given ones, skipping nulls; the only one itself when just one is left.</summary>
    public static IProcessorObserver? Of(params IProcessorObserver?[] observers) =>
        observers.OfType<IProcessorObserver>().ToArray() switch
        {
            [] => null,
            [var only] => only,
            var many => new ObserverFanOut(many),
        };

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

    public void OnUnavailable(string problem) => Each(o => o.OnUnavailable(problem));

    public void OnError(Error error) => Each(o => o.OnError(error));

    public void OnClientLog(LogMessage message) => Each(o => o.OnClientLog(message));

    private void Each(Action<IProcessorObserver> tell)
    {
        foreach (var observer in observers)
        {
            tell(observer);
        }
    }
}
