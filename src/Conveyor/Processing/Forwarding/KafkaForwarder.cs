using System.Runtime.CompilerServices;
using Confluent.Kafka;
using Conveyor.Processing.Engine;
using Conveyor.Processing.Transactions;

namespace Conveyor.Processing.Forwarding;

/// <summary>
/// Consume, transform, produce: a <see cref="KafkaProcessor{TKey, TValue}"/> whose handler returns
/// records to write to any topics. An input message is finished, and its offset may be committed,
/// only once the broker acknowledged every one of its outputs; until then the committed offset
/// stays below it. Messages run concurrently with the processor's ordering mode, and finish in any
/// order: the commit waits for the lowest unfinished one, so nothing needs to be processed in order.
/// At-least-once: a message retried, or handled again after a crash or rebalance, writes its
/// outputs again (duplicates downstream, never a loss).
/// </summary>
/// <seealso cref="KafkaProcessorBuilder{TKey, TValue}.Forward"/>
/// <typeparam name="TKey">The input key type.</typeparam>
/// <typeparam name="TValue">The input value type.</typeparam>
public sealed class KafkaForwarder<TKey, TValue> : IKafkaProcessor
{
    private readonly ProcessorParts<TKey, TValue> _parts;
    private readonly ForwardingHandler<TKey, TValue> _handler;
    private static readonly TimeSpan FencingProbeTimeout = TimeSpan.FromSeconds(10);
    private readonly RunOnce _run = new();
    private Error? _fatal;

    /// <summary>From the builder's validated parts.</summary>
    internal KafkaForwarder(ProcessorParts<TKey, TValue> parts, ForwardingHandler<TKey, TValue> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentNullException.ThrowIfNull(parts);
        _parts = parts;
        _handler = handler;
    }

    /// <inheritdoc />
    public ProcessorStatus Status => _parts.Telemetry.Status;

    /// <summary>
    /// Forwards until <paramref name="cancellationToken"/> is cancelled, then stops like
    /// <see cref="KafkaProcessor{TKey, TValue}.RunAsync"/>: running messages finish (outputs
    /// acknowledged), finished offsets are committed, the group is left.
    /// </summary>
    /// <exception cref="ProcessorStoppedException">A message failed with <see cref="FailureAction.StopProcessor"/>, or the consumer or the output producer failed fatally.</exception>
    /// <exception cref="InvalidOperationException">It ran before.</exception>
    /// <exception cref="ObjectDisposedException">It was disposed before it ran.</exception>
    public Task RunAsync(CancellationToken cancellationToken = default) => _run.RunAsync(RunOnceAsync, cancellationToken);

    /// <summary>Stops a run in progress as cancelling it would (outputs acknowledged, offsets committed, the group left) and waits for it to end.</summary>
    public ValueTask DisposeAsync() => _run.DisposeAsync();

    private async Task RunOnceAsync(CancellationToken cancellationToken)
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        void OnProducerFatal(Error error) => StopOnFatal(error, stopping);

        var transactional = _parts.Options.Guarantee == DeliveryGuarantee.ExactlyOnce
            ? ProducerFactory.Build(_parts.Client, OutputProducer.Linger, _parts.Telemetry, OnProducerFatal, _parts.Options.TransactionalId!)
            : null;
        var transactions = transactional is null
            ? null
            : new TransactionCoordinator(new KafkaTransactionalProducer(transactional), _parts.Options.TransactionTimeout, _parts.Telemetry);
        try
        {
            await RunEngineAsync(transactional, transactions, stopping, OnProducerFatal).ConfigureAwait(false);
        }
        finally
        {
            // A producer with a transactional call that never returned cannot be destroyed
            // (librdkafka would wait for the call): it is left to the end of the process.
            if (transactions?.Stuck != true)
            {
                transactional?.Dispose();
            }
        }
    }

    private async Task RunEngineAsync(IProducer<byte[]?, byte[]?>? transactional, TransactionCoordinator? transactions, CancellationTokenSource stopping, Action<Error> onProducerFatal)
    {
        if (transactions is not null)
        {
            await Task.Run(RefuseUnfencedBrokers, CancellationToken.None).ConfigureAwait(false);
            try
            {
                await Task.Run(transactions.Start, CancellationToken.None).ConfigureAwait(false);
            }
            catch (KafkaException e)
            {
                throw new ProcessorStoppedException(
                    ProcessorStopReason.TransactionsUnavailable,
                    $"Could not start transactions with transactional.id '{_parts.Options.TransactionalId}': {e.Error.Code}: {e.Error.Reason}. "
                    + "Exactly-once needs brokers that support transactions and a transactional.id this client may use.", e);
            }
        }

        using var producer = transactions is null
            ? new OutputProducer(_parts.Client, _parts.Options.Forwarding, _parts.Telemetry, onProducerFatal)
            : new OutputProducer(transactional!);
        var handler = transactions is null ? Pipelined(producer) : Transactional(producer, transactions, stopping);
        var processor = new KafkaProcessor<TKey, TValue>(_parts.Client, _parts.Options, handler, _parts.Keys, _parts.Values, _parts.Telemetry, transactions)
        {
            // Pipelined: a worker takes its next input only when the window has room for its outputs.
            Room = transactions is null ? producer.Window : null,
        };

        await processor.RunAsync(stopping.Token).ConfigureAwait(false);
        if (_fatal is { } error)
        {
            var stopped = new ProcessorStoppedException(ProcessorStopReason.OutputProducerFatal, $"The processor stopped because the output producer failed fatally: {error.Code}: {error.Reason}");
            _parts.Telemetry.RunEnded(stopped.Message);
            throw stopped;
        }
    }

    /// <summary>
    /// Exactly-once holds only on brokers that fence a late transactional offset commit (KIP-447):
    /// refuses to start when one answers that it cannot; warns and goes on when some could not be asked.
    /// </summary>
    private void RefuseUnfencedBrokers()
    {
        var support = FencingProbe.Check(_parts.Client, FencingProbeTimeout);
        if (support.Refusal is { } refusal)
        {
            throw new ProcessorStoppedException(ProcessorStopReason.TransactionsUnavailable, refusal);
        }

        if (support.Warning is { } warning)
        {
            _parts.Telemetry.OnError(new Error(ErrorCode.Local_Fail, warning));
        }
    }

    /// <summary>
    /// At-least-once: the outputs go to the producer and the worker is free at once; the input
    /// finishes when all are acknowledged (the engine waits for that, resending what failed).
    /// </summary>
    private StagedHandler<TKey, TValue> Pipelined(OutputProducer producer)
    {
        var forwarded = OutputProducer.Listening(_parts.Telemetry);

        // Most inputs go without an async state machine: the handler answered at once and the
        // window had room for the outputs (their worker waited for it before it took the input).
        return (message, ct) =>
        {
            var call = _handler(message, ct);
            return call.IsCompletedSuccessfully ? Hand(call.Result, message, ct) : HandWhenCalledAsync(call, message, ct);
        };

        // Pooled: this still waits for a handler that answers later (awaited once, by the engine).
        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        async ValueTask<IPendingAcknowledgement?> HandWhenCalledAsync(ValueTask<IReadOnlyList<OutputRecord>> call, MessageContext<TKey, TValue> message, CancellationToken ct) =>
            await Hand(await call.ConfigureAwait(false), message, ct).ConfigureAwait(false);

        ValueTask<IPendingAcknowledgement?> Hand(IReadOnlyList<OutputRecord>? outputs, MessageContext<TKey, TValue> message, CancellationToken ct)
        {
            var input = new ForwardedInput(message.Topic, message.Partition, message.Offset);
            if (outputs is null || outputs.Count == 0)
            {
                forwarded?.OnForwarded(input.ToTopicPartitionOffset(), []);
                return new ValueTask<IPendingAcknowledgement?>((IPendingAcknowledgement?)null);
            }

            var handed = producer.HandAsync(outputs, input, ct);
            return handed.IsCompletedSuccessfully ? new ValueTask<IPendingAcknowledgement?>(handed.Result) : WhenEnteredAsync(handed);
        }

        // Pooled: an input larger than the room its worker held waits for more (awaited once, by the engine).
        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        static async ValueTask<IPendingAcknowledgement?> WhenEnteredAsync(ValueTask<OutputDelivery> handed) => await handed.ConfigureAwait(false);
    }

    /// <summary>
    /// Exactly-once: the outputs are written into the open transaction and waited for
    /// (<see cref="TransactionalWrites"/>), so that a transaction never commits an input's offset
    /// without its outputs, nor outputs of an input it does not cover.
    /// </summary>
    private StagedHandler<TKey, TValue> Transactional(OutputProducer producer, TransactionCoordinator transactions, CancellationTokenSource stopping)
    {
        var forwarded = OutputProducer.Listening(_parts.Telemetry);
        var writes = new TransactionalWrites(producer, transactions, error => StopOnFatal(error, stopping), stopping.Token);
        return async (message, ct) =>
        {
            var outputs = await _handler(message, ct).ConfigureAwait(false) ?? [];
            if (outputs.Count == 0)
            {
                forwarded?.OnForwarded(new TopicPartitionOffset(message.Topic, message.Partition, message.Offset), []);
                return null;
            }

            var item = message.Item ?? throw new InvalidOperationException("An exactly-once forwarder's handler runs only in the engine.");
            if (await writes.WriteAsync(item, outputs, ct).ConfigureAwait(false) is { } written)
            {
                forwarded?.OnForwarded(new TopicPartitionOffset(message.Topic, message.Partition, message.Offset), written);
            }

            return null;
        };
    }

    private void StopOnFatal(Error error, CancellationTokenSource stopping)
    {
        Interlocked.CompareExchange(ref _fatal, error, null);
        stopping.Cancel();
    }
}
