namespace Conveyor.Processing;

/// <summary>
/// What the three ways to run have in common (<see cref="KafkaProcessor{TKey, TValue}"/>,
/// <see cref="Forwarding.KafkaForwarder{TKey, TValue}"/>, <see cref="Batching.KafkaBatchProcessor{TKey, TValue}"/>):
/// run once until cancelled or disposed, and a status to watch meanwhile (what hosting and health
/// checks use). Built by <see cref="KafkaProcessorBuilder{TKey, TValue}"/>.
/// </summary>
public interface IKafkaProcessor : IAsyncDisposable
{
    /// <summary>A snapshot of the state: running or not, last poll, assigned, stopped and stalled partitions. Thread-safe.</summary>
    ProcessorStatus Status { get; }

    /// <summary>
    /// Runs until <paramref name="cancellationToken"/> is cancelled, then stops cleanly: no more
    /// fetching, running handlers finish (up to <see cref="ProcessorOptions.ShutdownTimeout"/>),
    /// finished offsets are committed, the group is left.
    /// </summary>
    /// <exception cref="ProcessorStoppedException">A message failed with <see cref="FailureAction.StopProcessor"/>, or a client failed fatally.</exception>
    Task RunAsync(CancellationToken cancellationToken = default);
}
