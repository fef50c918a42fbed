using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Forwarding;

/// <summary>
/// Writes a message's outputs: handed off (<see cref="HandAsync"/>, pipelined, within a bounded
/// window of unacknowledged outputs) or waited for (<see cref="SendAllAsync"/>, for transactions).
/// The producer comes from <see cref="ProducerFactory"/>: idempotent by default (no duplicates or
/// reordering from its own retries, so records for one partition land in the order they were
/// handed over); the user's properties override the defaults.
/// </summary>
internal sealed class OutputProducer : IDisposable
{
    private readonly IProducer<byte[]?, byte[]?> _producer;
    private readonly bool _owned;
    private readonly Action<Error> _onFatal;

    /// <summary>Writes through a producer owned by someone else (the transactional one of an exactly-once forwarder).</summary>
    public OutputProducer(IProducer<byte[]?, byte[]?> producer)
    {
        _producer = producer;
        _onFatal = _ => { };
        Window = new OutputWindow(int.MaxValue, long.MaxValue);
    }

    /// <param name="client">Bootstrap servers and the user's librdkafka properties.</param>
    /// <param name="window">The bounds of unacknowledged outputs.</param>
    /// <param name="events">Hears the producer's errors and log lines.</param>
    /// <param name="onFatal">Told when the producer or an output failed with a fatal error: the producer is unusable.</param>
    public OutputProducer(KafkaClientProperties client, ForwardingOptions window, Engine.IEngineEvents events, Action<Error> onFatal)
    {
        _owned = true;
        _onFatal = onFatal;
        Window = new OutputWindow(window.MaxUnacknowledgedOutputs, window.MaxUnacknowledgedBytes);
        _producer = ProducerFactory.Build(client, Linger, events, onFatal);
    }

    /// <summary>How long output producers wait to fill a batch: a message's outputs are sent together.</summary>
    public static TimeSpan Linger { get; } = TimeSpan.FromMilliseconds(5);

    /// <summary>Outputs handed off and not yet acknowledged.</summary>
    public OutputWindow Window { get; }

    /// <summary>
    /// Waits for room in the window, then hands every output to the producer, in order, without
    /// waiting for acknowledgements: the returned delivery completes when all are acknowledged.
    /// </summary>
    /// <param name="outputs">At least one output.</param>
    /// <param name="onAcknowledged">Called with where each output was written, once all were.</param>
    /// <param name="cancellationToken">Cancels the wait for room.</param>
    public async ValueTask<OutputDelivery> HandAsync(IReadOnlyList<OutputRecord> outputs, Action<IReadOnlyList<TopicPartitionOffset>>? onAcknowledged, CancellationToken cancellationToken)
    {
        long bytes = 0;
        foreach (var output in outputs)
        {
            bytes += SizeOf(output);
        }

        await Window.EnterAsync(outputs.Count, bytes, cancellationToken).ConfigureAwait(false);
        var delivery = new OutputDelivery(this, outputs, onAcknowledged);
        delivery.Start();
        return delivery;
    }

    internal static long SizeOf(OutputRecord output) => (output.Key?.Length ?? 0) + (output.Value?.Length ?? 0);

    internal void OnFatal(Error error) => _onFatal(error);

    /// <summary>Hands one output to the producer; a record refused before it was queued (e.g. too large) is reported to <paramref name="delivered"/> at once.</summary>
    internal void Produce(OutputRecord output, Action<DeliveryReport<byte[]?, byte[]?>> delivered)
    {
        try
        {
            _producer.Produce(output.Destination, output.ToMessage(), delivered);
        }
        catch (ProduceException<byte[]?, byte[]?> e)
        {
            delivered(e.DeliveryResult is { } result
                ? new DeliveryReport<byte[]?, byte[]?> { TopicPartitionOffset = result.TopicPartitionOffset, Message = result.Message, Error = e.Error }
                : new DeliveryReport<byte[]?, byte[]?> { TopicPartitionOffset = new TopicPartitionOffset(output.Destination, Offset.Unset), Error = e.Error });
        }
        catch (Exception e) when (e is KafkaException or ArgumentException)
        {
            var error = e is KafkaException k ? k.Error : new Error(ErrorCode.Local_Fail, e.Message);
            delivered(new DeliveryReport<byte[]?, byte[]?> { TopicPartitionOffset = new TopicPartitionOffset(output.Destination, Offset.Unset), Error = error });
        }
    }

    /// <summary>
    /// Writes all outputs at once and waits for every acknowledgement.
    /// </summary>
    /// <returns>Where each output was written, in the order given.</returns>
    /// <exception cref="OutputDeliveryException">At least one output was not acknowledged (the others may have been written).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before every acknowledgement arrived.</exception>
    public async Task<IReadOnlyList<TopicPartitionOffset>> SendAllAsync(IReadOnlyList<OutputRecord> outputs, CancellationToken cancellationToken)
    {
        if (outputs.Count == 0)
        {
            return [];
        }

        var deliveries = new Task<DeliveryResult<byte[]?, byte[]?>>[outputs.Count];
        for (var i = 0; i < outputs.Count; i++)
        {
            deliveries[i] = Send(outputs[i], cancellationToken);
        }

        try
        {
            await Task.WhenAll(deliveries).ConfigureAwait(false);
        }
        catch (Exception) when (deliveries.All(d => d.IsCompleted))
        {
            // Reported below with every failed output, not just the first.
        }

        var failures = deliveries.Where(d => d.IsFaulted).Select(d => d.Exception!.InnerException!).ToList();
        if (failures.Count > 0)
        {
            var errors = failures.Select(e => e is KafkaException k ? k.Error : new Error(ErrorCode.Local_Fail, e.Message)).ToList();
            throw new OutputDeliveryException(
                $"{failures.Count} of {outputs.Count} outputs were not acknowledged: {string.Join("; ", errors.Select(e => $"{e.Code}: {e.Reason}").Distinct())}",
                errors,
                failures[0]);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var written = deliveries.Select(d => d.Result.TopicPartitionOffset).ToArray();
        for (var i = 0; _owned && i < written.Length; i++) // a transactional producer's records commit together: never re-sent
        {
            var output = outputs[i];
            written[i] = await UnconfirmedDelivery.ConfirmAsync(written[i], () => Send(output, cancellationToken)).ConfigureAwait(false);
        }

        return written;
    }

    public void Dispose()
    {
        if (!_owned)
        {
            return;
        }

        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
    }

    private Task<DeliveryResult<byte[]?, byte[]?>> Send(OutputRecord output, CancellationToken cancellationToken)
    {
        try
        {
            return _producer.ProduceAsync(output.Destination, output.ToMessage(), cancellationToken);
        }
        catch (Exception e) when (e is KafkaException or ArgumentException)
        {
            // Rejected before it was queued (e.g. too large): fail this output like a failed delivery.
            return Task.FromException<DeliveryResult<byte[]?, byte[]?>>(e);
        }
    }
}
