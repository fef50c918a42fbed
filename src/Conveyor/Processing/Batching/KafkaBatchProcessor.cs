using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Batching;

/// <summary>
/// A processor whose handler takes batches: messages of one partition, in offset order, bounded by
/// <see cref="ProcessorOptions.Batch"/> (count, bytes, wait). A partition's batches run one at a
/// time; batches of different partitions run side by side, up to
/// <see cref="ProcessorOptions.MaxConcurrency"/> batches at once. Every message is still tracked
/// on its own, so the committed offset never passes a message that is not finished: a batch
/// that fails is retried (<see cref="ProcessorOptions.Retry"/>), and a
/// <see cref="BatchFailedException"/> finishes the messages before the failed one, so only the failed
/// one goes to <see cref="ProcessorOptions.OnFailure"/> once its attempts are used.
/// </summary>
/// <remarks>
/// <see cref="ProcessorOptions.Ordering"/> is not used: a partition's batches run one after another
/// in offset order, so partition (and key) order holds within and across batches. A failed message's
/// attempts are its own, as in a per-message processor: its dead-letter headers report them.
/// </remarks>
/// <seealso cref="KafkaProcessorBuilder{TKey, TValue}.HandleBatches"/>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public sealed class KafkaBatchProcessor<TKey, TValue> : IKafkaProcessor
{
    private readonly KafkaProcessor<TKey, TValue> _processor;

    /// <summary>From the builder's validated parts.</summary>
    internal KafkaBatchProcessor(ProcessorParts<TKey, TValue> parts, BatchHandler<TKey, TValue> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var (client, options, keyDeserializer, valueDeserializer, telemetry) = parts;

        // The engine takes batches itself: each worker takes a run of one partition's messages and
        // calls the handler once for it; failures go through the engine's one retry path. The
        // per-message handler is never called.
        _processor = new KafkaProcessor<TKey, TValue>(client, options, Unused, keyDeserializer, valueDeserializer, telemetry, transactions: null)
        {
            Batches = handler,
        };
    }

    /// <inheritdoc />
    public ProcessorStatus Status => _processor.Status;

    /// <summary>The live limit on batch handler calls running at once (see <see cref="KafkaProcessor{TKey, TValue}.Concurrency"/>).</summary>
    internal Concurrency.IConcurrencyControl Concurrency => _processor.Concurrency;

    /// <summary>
    /// Processes until <paramref name="cancellationToken"/> is cancelled, then stops like
    /// <see cref="KafkaProcessor{TKey, TValue}.RunAsync"/>: running batches finish, finished offsets are
    /// committed; messages still waiting for a batch are not run and are consumed again next time.
    /// </summary>
    /// <exception cref="ProcessorStoppedException">A message failed with <see cref="FailureAction.StopProcessor"/>, or the client failed fatally.</exception>
    public Task RunAsync(CancellationToken cancellationToken = default) => _processor.RunAsync(cancellationToken);

    /// <summary>Stops a run in progress as cancelling it would and waits for it to end.</summary>
    public ValueTask DisposeAsync() => _processor.DisposeAsync();

    private static ValueTask<IPendingAcknowledgement?> Unused(MessageContext<TKey, TValue> message, CancellationToken cancellationToken) =>
        throw new InvalidOperationException("A batch processor calls its batch handler only.");
}
