using Confluent.Kafka;

namespace Conveyor.Processing.Forwarding;

/// <summary>
/// Hands outputs to a Confluent.Kafka producer, reusing each slot's message and delivery handler.
/// The fallback to <see cref="Native.Producing.NativeProducer"/> (<see cref="ForwardingOptions.NativeProducer"/>),
/// and the sender of a borrowed producer.
/// </summary>
internal sealed class ConfluentOutputSender : IOutputSender
{
    // Confluent.Kafka makes an empty Headers for every record produced without; an output without
    // headers gets this one instead (the byte-array serializers add none, so nothing changes it).
    private static readonly Headers NoHeaders = [];

    private readonly IProducer<byte[]?, byte[]?> _producer;
    private readonly bool _owned;
    private readonly DestinationCache _destinations = new();

    /// <param name="producer">The producer.</param>
    /// <param name="owned">Flushed (up to 10 s) and disposed with this sender.</param>
    public ConfluentOutputSender(IProducer<byte[]?, byte[]?> producer, bool owned)
    {
        _producer = producer;
        _owned = owned;
    }

    /// <summary>A record refused before it was queued (e.g. too large) is reported to the slot at once.</summary>
    public void Send(OutputRecord output, OutputSlot slot)
    {
        var delivered = slot.Delivered;
        try
        {
            var message = slot.Message;
            message.Key = output.Key;
            message.Value = output.Value;
            message.Headers = output.Headers ?? NoHeaders;
            _producer.Produce(_destinations.For(output.Topic, output.Partition), message, delivered);
        }
        catch (ProduceException<byte[]?, byte[]?> e)
        {
            slot.Report(e.Error, e.DeliveryResult?.Partition ?? Partition.Any, e.DeliveryResult?.Offset ?? Offset.Unset);
        }
        catch (KafkaException e)
        {
            slot.Report(e.Error, Partition.Any, Offset.Unset);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Anything else the producer throws while reading the record (e.g. a header whose value
            // cannot be read) fails this output like a refusal, as the native sender does: thrown
            // on, it would leave the input's earlier outputs sent and this one neither sent nor failed.
            slot.Report(new Error(ErrorCode.Local_Fail, $"The output could not be handed to the producer: {e.GetType().Name}: {e.Message}"), Partition.Any, Offset.Unset);
        }
    }

    /// <summary>Confluent.Kafka calls each delivery handler on its own, with no end of a batch to tell: every report gives back at once.</summary>
    public void ReportInBatches(IReportBatches batches)
    {
    }

    public void Dispose()
    {
        if (_owned)
        {
            _producer.Flush(TimeSpan.FromSeconds(10));
            _producer.Dispose();
        }
    }
}
