using System.Collections.Concurrent;
using Confluent.Kafka;
using Conveyor.Processing.Forwarding;

namespace Conveyor.IntegrationTests.Support;

/// <summary>
/// Records what a forwarder reports and checks, at every commit, that each input below the
/// committed offset had all its outputs acknowledged before that commit (inputs start at offset 0
/// with no gaps).
/// </summary>
internal sealed class ForwardingRecorder : IForwardingObserver
{
    private readonly ConcurrentDictionary<TopicPartition, long> _committed = new();

    public ConcurrentDictionary<TopicPartitionOffset, IReadOnlyList<TopicPartitionOffset>> Forwarded { get; } = new();

    /// <summary>Commits that passed an input whose outputs were not all acknowledged yet: must stay empty.</summary>
    public ConcurrentQueue<string> Violations { get; } = new();

    public ConcurrentQueue<TopicPartitionOffset> Retries { get; } = new();

    public ConcurrentQueue<TopicPartitionOffset> Stopped { get; } = new();

    public ConcurrentQueue<Error> Errors { get; } = new();

    /// <summary>The latest committed offset of each partition added up.</summary>
    public long CommittedSum => _committed.Values.Sum();

    public long CommittedOf(TopicPartition partition) => _committed.GetValueOrDefault(partition, -1);

    public void OnForwarded(TopicPartitionOffset input, IReadOnlyList<TopicPartitionOffset> outputs) => Forwarded[input] = outputs;

    public void OnCommitted(IReadOnlyList<TopicPartitionOffset> offsets)
    {
        foreach (var offset in offsets)
        {
            for (var o = Math.Max(0, CommittedOf(offset.TopicPartition)); o < offset.Offset.Value; o++)
            {
                if (!Forwarded.ContainsKey(new TopicPartitionOffset(offset.TopicPartition, o)))
                {
                    Violations.Enqueue($"commit {offset} passed {offset.TopicPartition}@{o}, whose outputs were not acknowledged");
                }
            }

            _committed.AddOrUpdate(offset.TopicPartition, offset.Offset.Value, (_, old) => Math.Max(old, offset.Offset.Value));
        }
    }

    public void OnRetrying(TopicPartitionOffset message, int failedAttempt, Exception exception, TimeSpan delay) => Retries.Enqueue(message);

    public void OnPartitionStopped(TopicPartitionOffset message, Exception exception) => Stopped.Enqueue(message);

    public void OnError(Error error) => Errors.Enqueue(error);
}
