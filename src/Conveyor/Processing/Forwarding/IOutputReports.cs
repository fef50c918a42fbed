using Confluent.Kafka;

namespace Conveyor.Processing.Forwarding;

/// <summary>
/// Where an <see cref="OutputSlot"/>'s delivery reports go: the <see cref="OutputDelivery"/> of an
/// input in flight, or (in the benchmark's producer-only ceiling) a counter, so the ceiling goes
/// through the same senders as the forwarder without its delivery state.
/// </summary>
internal interface IOutputReports
{
    /// <summary>The report of output <paramref name="index"/>: <paramref name="error"/> is not an error when it was acknowledged at <paramref name="partition"/> and <paramref name="offset"/>.</summary>
    void Delivered(int index, Error error, Partition partition, Offset offset);
}
