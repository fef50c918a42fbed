using System.Diagnostics.CodeAnalysis;
using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Processing.Engine;
using Conveyor.Processing.Transactions;
using Conveyor.Serialization;

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
/// <typeparam name="TKey">The input key type.</typeparam>
/// <typeparam name="TValue">The input value type.</typeparam>
public sealed class KafkaForwarder<TKey, TValue> : IKafkaProcessor
{
    private readonly KafkaClientProperties _client;
    private readonly ProcessorOptions _options;
    private readonly ForwardingHandler<TKey, TValue> _handler;
    private readonly MessageDeserializer<TKey> _keys;
    private readonly MessageDeserializer<TValue> _values;
    private readonly IEngineEvents _telemetry;
    private static readonly TimeSpan FencingProbeTimeout = TimeSpan.FromSeconds(10);
    private Error? _fatal;

    /// <summary>Creates a forwarder; checks the options and the client properties before anything connects.</summary>
    /// <param name="client">Bootstrap servers and librdkafka properties, for the consumer and the output producer.</param>
    /// <param name="options">How to consume, order, commit and fail.</param>
    /// <param name="handler">Turns each input into the records to write.</param>
    /// <param name="keyDeserializer">Input key deserializer; default: UTF-8 for strings, raw for byte arrays, JSON otherwise.</param>
    /// <param name="valueDeserializer">Input value deserializer; same defaults.</param>
    /// <param name="observer">Hears the processor's events; an <see cref="IForwardingObserver"/> also hears each forwarded message.</param>
    /// <exception cref="KafkaConfigurationException">Listing every problem with the options and properties.</exception>
    [SuppressMessage("ApiDesign", "RS0027:API with optional parameter(s) should have the most parameters amongst its public overloads", Justification = "The overload with asynchronous deserializers has as many parameters, none optional, so calls that leave them out still mean this one.")]
    public KafkaForwarder(
        KafkaClientProperties client,
        ProcessorOptions options,
        ForwardingHandler<TKey, TValue> handler,
        IDeserializer<TKey>? keyDeserializer = null,
        IDeserializer<TValue>? valueDeserializer = null,
        IProcessorObserver? observer = null)
        : this(client, options, handler, MessageDeserializer<TKey>.Of(keyDeserializer), MessageDeserializer<TValue>.Of(valueDeserializer), observer)
    {
    }

    /// <summary>Creates a forwarder whose deserializers are asynchronous, as Confluent's Schema Registry serdes are; null takes the default.</summary>
    /// <inheritdoc cref="KafkaForwarder{TKey, TValue}(KafkaClientProperties, ProcessorOptions, ForwardingHandler{TKey, TValue}, IDeserializer{TKey}, IDeserializer{TValue}, IProcessorObserver)"/>
    public KafkaForwarder(
        KafkaClientProperties client,
        ProcessorOptions options,
        ForwardingHandler<TKey, TValue> handler,
        IAsyncDeserializer<TKey>? keyDeserializer,
        IAsyncDeserializer<TValue>? valueDeserializer,
        IProcessorObserver? observer)
        : this(client, options, handler, MessageDeserializer<TKey>.Of(keyDeserializer), MessageDeserializer<TValue>.Of(valueDeserializer), observer)
    {
    }

    /// <summary>With deserializers of either kind, each its own (hosting mixes them).</summary>
    internal KafkaForwarder(
        KafkaClientProperties client,
        ProcessorOptions options,
        ForwardingHandler<TKey, TValue> handler,
        MessageDeserializer<TKey> keys,
        MessageDeserializer<TValue> values,
        IProcessorObserver? observer)
    {
        ProcessorSetup.Validate(client, options, transactional: true);
        ArgumentNullException.ThrowIfNull(handler);
        _client = client;
        _options = options;
        _handler = handler;
        _keys = keys;
        _values = values;

        // Every event of the consumer and of the output (or transactional) producer passes through
        // it: metrics, status and secret masking, then the user's observer.
        _telemetry = ProcessorSetup.Telemetry(client, options, observer);
    }

    /// <inheritdoc />
    public ProcessorStatus Status => _telemetry.Status;

    /// <summary>
    /// Forwards until <paramref name="cancellationToken"/> is cancelled, then stops like
    /// <see cref="KafkaProcessor{TKey, TValue}.RunAsync"/>: running messages finish (outputs
    /// acknowledged), finished offsets are committed, the group is left.
    /// </summary>
    /// <exception cref="ProcessorStoppedException">A message failed with <see cref="FailureAction.StopProcessor"/>, or the consumer or the output producer failed fatally.</exception>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        void OnProducerFatal(Error error) => StopOnFatal(error, stopping);

        var transactional = _options.Guarantee == DeliveryGuarantee.ExactlyOnce
            ? ProducerFactory.Build(_client, OutputProducer.Linger, _telemetry, OnProducerFatal, _options.TransactionalId!)
            : null;
        var transactions = transactional is null
            ? null
            : new TransactionCoordinator(new KafkaTransactionalProducer(transactional), _options.TransactionTimeout, _telemetry);
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
                    $"Could not start transactions with transactional.id '{_options.TransactionalId}': {e.Error.Code}: {e.Error.Reason}. "
                    + "Exactly-once needs brokers that support transactions and a transactional.id this client may use.", e);
            }
        }

        using var producer = transactions is null
            ? new OutputProducer(_client, _options.Forwarding, _telemetry, onProducerFatal)
            : new OutputProducer(transactional!);
        var handler = transactions is null ? Pipelined(producer) : Transactional(producer, transactions, stopping);
        var processor = new KafkaProcessor<TKey, TValue>(_client, _options, handler, _keys, _values, _telemetry, transactions);

        await processor.RunAsync(stopping.Token).ConfigureAwait(false);
        if (_fatal is { } error)
        {
            var stopped = new ProcessorStoppedException($"The processor stopped because the output producer failed fatally: {error.Code}: {error.Reason}");
            _telemetry.RunEnded(stopped.Message);
            throw stopped;
        }
    }

    /// <summary>
    /// Exactly-once holds only on brokers that fence a late transactional offset commit (KIP-447):
    /// refuses to start when one answers that it cannot; warns and goes on when some could not be asked.
    /// </summary>
    private void RefuseUnfencedBrokers()
    {
        var support = FencingProbe.Check(_client, FencingProbeTimeout);
        if (support.Refusal is { } refusal)
        {
            throw new ProcessorStoppedException(refusal);
        }

        if (support.Warning is { } warning)
        {
            _telemetry.OnError(new Error(ErrorCode.Local_Fail, warning));
        }
    }

    /// <summary>
    /// At-least-once: the outputs go to the producer and the worker is free at once; the input
    /// finishes when all are acknowledged (the engine waits for that, resending what failed).
    /// </summary>
    private StagedHandler<TKey, TValue> Pipelined(OutputProducer producer) => async (message, ct) =>
    {
        var outputs = await _handler(message, ct).ConfigureAwait(false) ?? [];
        var input = new TopicPartitionOffset(message.Topic, message.Partition, message.Offset);
        if (outputs.Count == 0)
        {
            _telemetry.OnForwarded(input, []);
            return null;
        }

        return await producer.HandAsync(outputs, written => _telemetry.OnForwarded(input, written), ct).ConfigureAwait(false);
    };

    /// <summary>
    /// Exactly-once: the outputs are written into the open transaction and waited for, so that a
    /// transaction never commits an input's offset without its outputs, nor outputs of an input it
    /// does not commit.
    /// </summary>
    private StagedHandler<TKey, TValue> Transactional(OutputProducer producer, TransactionCoordinator transactions, CancellationTokenSource stopping) => async (message, ct) =>
    {
        var outputs = await _handler(message, ct).ConfigureAwait(false) ?? [];
        IReadOnlyList<TopicPartitionOffset> written;
        try
        {
            written = await producer.SendAllAsync(outputs, ct).ConfigureAwait(false);
        }
        catch (OutputDeliveryException e) when (e.Errors.FirstOrDefault(error => error.IsFatal) is { } fatal)
        {
            // The producer is unusable: every later output would fail too. Stop rather than
            // send every message to the failure action; this one stays unfinished.
            StopOnFatal(fatal, stopping);
            throw new OperationCanceledException("The output producer failed fatally.", e, stopping.Token);
        }
        catch (OutputDeliveryException e)
        {
            // The transaction cannot commit any more: it is aborted and the partitions rewound,
            // so this message runs again in the next transaction (its finish here never counts).
            transactions.RequestAbort(e.Errors[0]);
            return null;
        }

        transactions.Produced();
        _telemetry.OnForwarded(new TopicPartitionOffset(message.Topic, message.Partition, message.Offset), written);
        return null;
    };

    private void StopOnFatal(Error error, CancellationTokenSource stopping)
    {
        Interlocked.CompareExchange(ref _fatal, error, null);
        stopping.Cancel();
    }
}
