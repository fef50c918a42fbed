using System.Collections.Concurrent;
using Confluent.Kafka;
using Conveyor.Processing;

namespace Conveyor.IntegrationTests.Support;

/// <summary>Records what a processor reports, for assertions.</summary>
internal sealed class RecordingObserver : IProcessorObserver
{
    public ConcurrentQueue<TopicPartitionOffset> Committed { get; } = new();

    public ConcurrentQueue<Error> CommitFailures { get; } = new();

    public ConcurrentQueue<(TopicPartitionOffset Message, TopicPartitionOffset DeadLetter)> DeadLettered { get; } = new();

    public ConcurrentQueue<TopicPartitionOffset> Stopped { get; } = new();

    public ConcurrentQueue<bool> BackPressure { get; } = new();

    public ConcurrentQueue<TopicPartitionOffset> Retries { get; } = new();

    public ConcurrentQueue<TopicPartition> Assigned { get; } = new();

    public void OnCommitted(IReadOnlyList<TopicPartitionOffset> offsets)
    {
        foreach (var offset in offsets)
        {
            Committed.Enqueue(offset);
        }
    }

    public void OnCommitFailed(IReadOnlyList<TopicPartitionOffset> offsets, Error error) => CommitFailures.Enqueue(error);

    public void OnDeadLettered(TopicPartitionOffset message, TopicPartitionOffset deadLetter, Exception exception) =>
        DeadLettered.Enqueue((message, deadLetter));

    public void OnPartitionStopped(TopicPartitionOffset message, Exception exception) => Stopped.Enqueue(message);

    public void OnBackPressure(IReadOnlyList<TopicPartition> partitions, bool paused) => BackPressure.Enqueue(paused);

    public void OnRetrying(TopicPartitionOffset message, int failedAttempt, Exception exception, TimeSpan delay) => Retries.Enqueue(message);

    public void OnPartitionsAssigned(IReadOnlyList<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            Assigned.Enqueue(partition);
        }
    }
}
