using Confluent.Kafka;
using Conveyor.Configuration;
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
/// <see cref="ProcessorOptions.Ordering"/> is not used: batching is per partition. Within a batch
/// messages are in offset order; across consecutive batches a message can, rarely, run in the
/// batch after the one holding a later offset (workers hand messages over concurrently). Use a
/// per-message processor with <see cref="OrderingMode.Partition"/> where strict order matters.
/// Dead-letter headers report 1 attempt for a message failed in a batch.
/// </remarks>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public sealed class KafkaBatchProcessor<TKey, TValue> : IKafkaProcessor
{
    private readonly KafkaProcessor<TKey, TValue> _processor;
    private readonly BatchCollector<TKey, TValue> _collector;

    /// <summary>
    /// Creates a batch processor; checks the options and the client properties before anything connects.
    /// The same as <see cref="KafkaProcessorBuilder{TKey, TValue}"/> with <see cref="KafkaProcessorBuilder{TKey, TValue}.HandleBatches"/>,
    /// which also takes asynchronous deserializers and a logger factory.
    /// </summary>
    /// <param name="client">Bootstrap servers and librdkafka properties.</param>
    /// <param name="options">How to consume, batch, commit and fail.</param>
    /// <param name="handler">Called for each batch.</param>
    /// <param name="keyDeserializer">Key deserializer; default: UTF-8 for strings, raw for byte arrays, JSON otherwise.</param>
    /// <param name="valueDeserializer">Value deserializer; same defaults.</param>
    /// <param name="observer">Hears rebalances, commits, batch retries, dead letters and stops.</param>
    /// <exception cref="KafkaConfigurationException">Listing every problem with the options and properties.</exception>
    public KafkaBatchProcessor(
        KafkaClientProperties client,
        ProcessorOptions options,
        BatchHandler<TKey, TValue> handler,
        IDeserializer<TKey>? keyDeserializer = null,
        IDeserializer<TValue>? valueDeserializer = null,
        IProcessorObserver? observer = null)
        : this(KafkaProcessorBuilder<TKey, TValue>.Parts(ProcessorKind.BatchProcessor, client, options, keyDeserializer, valueDeserializer, observer), handler)
    {
    }

    /// <summary>From the builder's validated parts.</summary>
    internal KafkaBatchProcessor(ProcessorParts<TKey, TValue> parts, BatchHandler<TKey, TValue> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        var (client, options, keyDeserializer, valueDeserializer, telemetry) = parts;

        // The batch runner's retries pass through the same telemetry as the engine's events.
        _collector = new BatchCollector<TKey, TValue>(options.Batch, new BatchRunner<TKey, TValue>(handler, options.Retry, telemetry));

        // The engine holds one handler call per message in an open or running batch; retries are
        // the batch runner's, so the engine's own retry is off and a failed message goes straight
        // to the failure action.
        var engine = options with
        {
            Ordering = OrderingMode.Unordered,
            MaxConcurrency = (int)Math.Min(100_000L, (long)options.MaxConcurrency * options.Batch.MaxMessages),
            Retry = options.Retry with { MaxAttempts = 1 },
        };
        _processor = new KafkaProcessor<TKey, TValue>(client, engine, StagedHandlers.From<TKey, TValue>(_collector.HandleAsync), keyDeserializer, valueDeserializer, telemetry, transactions: null);
    }

    /// <inheritdoc />
    public ProcessorStatus Status => _processor.Status;

    /// <summary>
    /// Processes until <paramref name="cancellationToken"/> is cancelled, then stops like
    /// <see cref="KafkaProcessor{TKey, TValue}.RunAsync"/>: open batches run (their wait ends), finished offsets are committed.
    /// </summary>
    /// <exception cref="ProcessorStoppedException">A message failed with <see cref="FailureAction.StopProcessor"/>, or the client failed fatally.</exception>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _processor.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _collector.Dispose();
        }
    }

    /// <summary>Stops a run in progress as cancelling it would and waits for it to end.</summary>
    public ValueTask DisposeAsync() => _processor.DisposeAsync();
}
