using System.Collections.Concurrent;

namespace Conveyor.Processing.Batching;

/// <summary>
/// Turns the engine's per-message handler calls into per-partition batches: each call joins its
/// partition's batch and waits until that message is finished (or failed for good), so the engine
/// keeps tracking, committing and failing every message on its own.
/// </summary>
internal sealed class BatchCollector<TKey, TValue> : IDisposable
{
    private readonly BatchOptions _options;
    private readonly BatchRunner<TKey, TValue> _runner;
    private readonly ConcurrentDictionary<(string Topic, int Partition), PartitionBatcher<TKey, TValue>> _partitions = new();

    public BatchCollector(BatchOptions options, BatchRunner<TKey, TValue> runner)
    {
        _options = options;
        _runner = runner;
    }

    /// <summary>The engine's handler: completes when the message is finished; throws its failure when it failed for good.</summary>
    public async ValueTask HandleAsync(MessageContext<TKey, TValue> message, CancellationToken cancellationToken)
    {
        var entry = new BatchEntry<TKey, TValue>(message, cancellationToken);
        _partitions.GetOrAdd((message.Topic, message.Partition), _ => new PartitionBatcher<TKey, TValue>(_options, _runner)).Add(entry);
        await entry.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        foreach (var partition in _partitions.Values)
        {
            partition.Dispose();
        }
    }
}
