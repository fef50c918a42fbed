using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Processing.Batching;
using Conveyor.Processing.Forwarding;
using Conveyor.Serialization;
using Microsoft.Extensions.Logging;

namespace Conveyor.Processing;

/// <summary>
/// Builds a processor: client properties and options, then deserializers, an observer and a
/// logger factory if wanted, then what it does with its messages (<see cref="Handle"/>,
/// <see cref="Forward"/> or <see cref="HandleBatches"/>), then <see cref="Build"/>, which checks
/// everything once (<see cref="ProcessorValidation"/>) before anything connects. Used at
/// registration only; what it builds is immutable and runs once.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
/// <example>
/// <code>
/// await using var processor = new KafkaProcessorBuilder&lt;string, Order&gt;(client, options)
///     .SetValueDeserializer(avroDeserializer)
///     .Handle((message, ct) => orders.SaveAsync(message.Value, ct))
///     .Build();
/// await processor.RunAsync(stoppingToken);
/// </code>
/// </example>
public sealed class KafkaProcessorBuilder<TKey, TValue>
{
    private readonly KafkaClientProperties _client;
    private ProcessorOptions _options;
    private MessageDeserializer<TKey>? _keys;
    private MessageDeserializer<TValue>? _values;
    private IProcessorObserver? _observer;
    private ProcessorKind? _kind;
    private Func<ProcessorParts<TKey, TValue>, IKafkaProcessor>? _create;

    /// <summary>Starts a builder.</summary>
    /// <param name="client">Bootstrap servers and librdkafka properties (a forwarder's output producer uses them too).</param>
    /// <param name="options">How to consume, order, commit and fail.</param>
    public KafkaProcessorBuilder(KafkaClientProperties client, ProcessorOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        _client = client;
        _options = options;
    }

    /// <summary>The key deserializer; without one: UTF-8 for strings, raw for byte arrays, nothing for <see cref="Null"/> and <see cref="Ignore"/>, JSON otherwise.</summary>
    /// <param name="deserializer">Called for each key.</param>
    public KafkaProcessorBuilder<TKey, TValue> SetKeyDeserializer(IDeserializer<TKey> deserializer)
    {
        ArgumentNullException.ThrowIfNull(deserializer);
        return SetKeys(MessageDeserializer<TKey>.Of(deserializer));
    }

    /// <summary>An asynchronous key deserializer, as Confluent's Schema Registry serdes are.</summary>
    /// <param name="deserializer">Awaited for each key.</param>
    public KafkaProcessorBuilder<TKey, TValue> SetKeyDeserializer(IAsyncDeserializer<TKey> deserializer)
    {
        ArgumentNullException.ThrowIfNull(deserializer);
        return SetKeys(MessageDeserializer<TKey>.Of(deserializer));
    }

    /// <summary>The value deserializer; same defaults as the key's.</summary>
    /// <param name="deserializer">Called for each value.</param>
    public KafkaProcessorBuilder<TKey, TValue> SetValueDeserializer(IDeserializer<TValue> deserializer)
    {
        ArgumentNullException.ThrowIfNull(deserializer);
        return SetValues(MessageDeserializer<TValue>.Of(deserializer));
    }

    /// <summary>An asynchronous value deserializer, as Confluent's Schema Registry serdes are.</summary>
    /// <param name="deserializer">Awaited for each value.</param>
    public KafkaProcessorBuilder<TKey, TValue> SetValueDeserializer(IAsyncDeserializer<TValue> deserializer)
    {
        ArgumentNullException.ThrowIfNull(deserializer);
        return SetValues(MessageDeserializer<TValue>.Of(deserializer));
    }

    /// <summary>
    /// Hears rebalances, commits, retries, dead letters and stops; for a forwarder, an
    /// <see cref="IForwardingObserver"/> also hears each forwarded message.
    /// </summary>
    /// <param name="observer">The observer; combine several with <see cref="CompositeObserver"/>.</param>
    public KafkaProcessorBuilder<TKey, TValue> SetObserver(IProcessorObserver observer)
    {
        ArgumentNullException.ThrowIfNull(observer);
        _observer = observer;
        return this;
    }

    /// <summary>Logs what the hosting package logs (see <see cref="ProcessorOptions.LoggerFactory"/>, which this sets).</summary>
    /// <param name="loggerFactory">The logger factory.</param>
    public KafkaProcessorBuilder<TKey, TValue> SetLoggerFactory(ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _options = _options with { LoggerFactory = loggerFactory };
        return this;
    }

    /// <summary>Runs <paramref name="handler"/> for every message: a <see cref="KafkaProcessor{TKey, TValue}"/>.</summary>
    /// <param name="handler">Called for each message.</param>
    /// <exception cref="InvalidOperationException">What the processor does was already chosen.</exception>
    public KafkaProcessorBuilder<TKey, TValue> Handle(MessageHandler<TKey, TValue> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Choose(ProcessorKind.Processor, parts => new KafkaProcessor<TKey, TValue>(parts, handler));
    }

    /// <summary>
    /// Writes the records <paramref name="handler"/> returns for each message, and commits a
    /// message only once its outputs are acknowledged: a <see cref="KafkaForwarder{TKey, TValue}"/>;
    /// the only kind that can be <see cref="DeliveryGuarantee.ExactlyOnce"/>.
    /// </summary>
    /// <param name="handler">Turns each input into the records to write.</param>
    /// <param name="forwarding">Bounds on unacknowledged outputs; null keeps <see cref="ProcessorOptions.Forwarding"/>.</param>
    /// <exception cref="InvalidOperationException">What the processor does was already chosen.</exception>
    public KafkaProcessorBuilder<TKey, TValue> Forward(ForwardingHandler<TKey, TValue> handler, ForwardingOptions? forwarding = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (forwarding is not null)
        {
            _options = _options with { Forwarding = forwarding };
        }

        return Choose(ProcessorKind.Forwarder, parts => new KafkaForwarder<TKey, TValue>(parts, handler));
    }

    /// <summary>Runs <paramref name="handler"/> for batches of one partition's messages: a <see cref="KafkaBatchProcessor{TKey, TValue}"/>.</summary>
    /// <param name="handler">Called for each batch.</param>
    /// <param name="batching">How batches close; null keeps <see cref="ProcessorOptions.Batch"/>.</param>
    /// <exception cref="InvalidOperationException">What the processor does was already chosen.</exception>
    public KafkaProcessorBuilder<TKey, TValue> HandleBatches(BatchHandler<TKey, TValue> handler, BatchOptions? batching = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (batching is not null)
        {
            _options = _options with { Batch = batching };
        }

        return Choose(ProcessorKind.BatchProcessor, parts => new KafkaBatchProcessor<TKey, TValue>(parts, handler));
    }

    /// <summary>Every problem <see cref="Build"/> would refuse, at once; empty when it would build.</summary>
    /// <exception cref="InvalidOperationException">What the processor does is not chosen yet.</exception>
    public IReadOnlyList<string> Validate() => ProcessorValidation.Problems(_client, _options, Kind);

    /// <summary>Checks everything (<see cref="ProcessorValidation"/>) and builds the processor; nothing connects before it runs.</summary>
    /// <returns>The processor, to run once and dispose.</returns>
    /// <exception cref="KafkaConfigurationException">Listing every problem with the options and the client properties.</exception>
    /// <exception cref="InvalidOperationException">What the processor does is not chosen yet.</exception>
    public IKafkaProcessor Build() => _create is { } create ? create(Parts(Kind)) : throw NoKind();

    /// <summary>Validates, then makes what every kind needs.</summary>
    internal ProcessorParts<TKey, TValue> Parts(ProcessorKind kind)
    {
        ProcessorValidation.ThrowIfInvalid(_client, _options, kind);
        return new ProcessorParts<TKey, TValue>(
            _client,
            _options,
            _keys ?? MessageDeserializer<TKey>.Of((IDeserializer<TKey>?)null),
            _values ?? MessageDeserializer<TValue>.Of((IDeserializer<TValue>?)null),
            ProcessorSetup.Telemetry(_client, _options, _observer));
    }

    private ProcessorKind Kind => _kind ?? throw NoKind();

    private KafkaProcessorBuilder<TKey, TValue> SetKeys(MessageDeserializer<TKey> keys)
    {
        _keys = keys;
        return this;
    }

    private KafkaProcessorBuilder<TKey, TValue> SetValues(MessageDeserializer<TValue> values)
    {
        _values = values;
        return this;
    }

    private KafkaProcessorBuilder<TKey, TValue> Choose(ProcessorKind kind, Func<ProcessorParts<TKey, TValue>, IKafkaProcessor> create)
    {
        if (_kind is { } chosen)
        {
            throw new InvalidOperationException($"This builder already builds a {chosen}: call one of Handle, Forward or HandleBatches, once.");
        }

        _kind = kind;
        _create = create;
        return this;
    }

    private static InvalidOperationException NoKind() =>
        new("Choose what the processor does before building it: call Handle, Forward or HandleBatches.");
}
