using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Diagnostics;
using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Forwarding;

/// <summary>
/// Writes a message's outputs and waits until the broker acknowledged every one of them, through
/// an idempotent producer of <see cref="ProducerFactory"/> (the user's properties override its defaults).
/// </summary>
internal sealed class OutputProducer : IDisposable
{
    private readonly IProducer<byte[]?, byte[]?> _producer;
    private readonly bool _owned;

    /// <summary>Writes through a producer owned by someone else (the transactional one of an exactly-once forwarder).</summary>
    public OutputProducer(IProducer<byte[]?, byte[]?> producer)
    {
        _producer = producer;
    }

    /// <summary>Writes through a producer of its own; fatal errors also go to <paramref name="onFatal"/>.</summary>
    public OutputProducer(KafkaClientProperties client, ProcessorTelemetry telemetry, Action<Error> onFatal)
    {
        _owned = true;
        _producer = ProducerFactory.Build(client, Linger, telemetry, onFatal);
    }

    /// <summary>How long output producers wait to fill a batch: a message's outputs are sent together.</summary>
    public static TimeSpan Linger { get; } = TimeSpan.FromMilliseconds(5);

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
