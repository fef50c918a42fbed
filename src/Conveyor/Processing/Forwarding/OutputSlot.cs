using Confluent.Kafka;

namespace Conveyor.Processing.Forwarding;

/// <summary>
/// One output's place in a reused <see cref="OutputDelivery"/>: its delivery handler (made once,
/// not a closure per record), the message handed to the producer (the producer reads it while
/// producing and keeps nothing of it), and where it was written or why it was not.
/// </summary>
internal sealed class OutputSlot
{
    public OutputSlot(OutputDelivery owner, int index) => Delivered = report => owner.Delivered(index, report);

    /// <summary>Given to the producer with each send of this output.</summary>
    public Action<DeliveryReport<byte[]?, byte[]?>> Delivered { get; }

    /// <summary>Filled for each send of this output.</summary>
    public Message<byte[]?, byte[]?> Message { get; } = new();

    public Partition Partition { get; private set; }

    public Offset Offset { get; private set; }

    /// <summary>Why the last send was not acknowledged; null when it was, or is under way.</summary>
    public Error? Error { get; set; }

    /// <summary>Sends again because the broker acknowledged it without an offset (see <see cref="Engine.UnconfirmedDelivery"/>).</summary>
    public int UnconfirmedResends { get; set; }

    public void Written(Partition partition, Offset offset)
    {
        Partition = partition;
        Offset = offset;
    }

    public void Reset()
    {
        Partition = Partition.Any;
        Offset = Offset.Unset;
        Error = null;
        UnconfirmedResends = 0;
    }
}
