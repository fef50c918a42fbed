using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Transactions;

namespace Conveyor.Samples;

/// <summary>
/// An observer that completes <see cref="AllCommitted"/> once the processor's commits (offset
/// commits, or transactions) reach every offset a sample sent: everything was handled or
/// dead-lettered, and will not be consumed again.
/// </summary>
public sealed class CommitProgress(SentOffsets sent) : IProcessorObserver, ITransactionObserver
{
    private readonly Dictionary<TopicPartition, long> _committed = [];
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();

    public Task AllCommitted => _all.Task;

    void IProcessorObserver.OnCommitted(IReadOnlyList<TopicPartitionOffset> offsets) => Record(offsets);

    void ITransactionObserver.OnTransactionCommitted(IReadOnlyList<TopicPartitionOffset> offsets) => Record(offsets);

    private void Record(IReadOnlyList<TopicPartitionOffset> offsets)
    {
        lock (_lock)
        {
            foreach (var offset in offsets)
            {
                _committed[offset.TopicPartition] = Math.Max(_committed.GetValueOrDefault(offset.TopicPartition), offset.Offset.Value);
            }

            if (sent.Ends.All(end => _committed.GetValueOrDefault(end.Key) >= end.Value))
            {
                _all.TrySetResult();
            }
        }
    }
}
