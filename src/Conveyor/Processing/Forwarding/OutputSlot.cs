using Confluent.Kafka;

namespace Conveyor.Processing.Forwarding;

/// <summary>
/// One output's place in a reused <see cref="OutputDelivery"/> (or any <see cref="IOutputReports"/>): its delivery handler for
/// Confluent.Kafka (made once, not a closure per record), the message handed to that producer (it
/// reads it while producing and keeps nothing of it), and where the output was written or why it
/// was not. Every sender reports through <see cref="Report"/>.
/// </summary>
internal sealed class OutputSlot
{
    private readonly IOutputReports _owner;
    private readonly int _index;
    private Action<DeliveryReport<byte[]?, byte[]?>>? _delivered;
    private Message<byte[]?, byte[]?>? _message;

    public OutputSlot(IOutputReports owner, int index)
    {
        _owner = owner;
        _index = index;
    }

    /// <summary>Given to a Confluent.Kafka producer with each send of this output (made on first use: the native sender needs none).</summary>
    public Action<DeliveryReport<byte[]?, byte[]?>> Delivered => _delivered ??= report => Report(report.Error, report.Partition, report.Offset);

    /// <summary>Filled for each send of this output to a Confluent.Kafka producer.</summary>
    public Message<byte[]?, byte[]?> Message => _message ??= new();

    public Partition Partition { get; private set; }

    public Offset Offset { get; private set; }

    /// <summary>Why the last send was not acknowledged; null when it was, or is under way.</summary>
    public Error? Error { get; set; }

    /// <summary>Sends again because the broker acknowledged it without an offset (see <see cref="Engine.UnconfirmedDelivery"/>).</summary>
    public int UnconfirmedResends { get; set; }

    /// <summary>This output's delivery report: <paramref name="error"/> is not an error when it was acknowledged at <paramref name="partition"/> and <paramref name="offset"/>.</summary>
    public void Report(Error error, Partition partition, Offset offset) => _owner.Delivered(_index, error, partition, offset);

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
