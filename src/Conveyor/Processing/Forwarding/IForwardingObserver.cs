using Confluent.Kafka;

namespace Conveyor.Processing.Forwarding;

/// <summary>A processor observer that also hears each forwarded message. Pass one as the forwarder's observer.</summary>
public interface IForwardingObserver : IProcessorObserver
{
    /// <summary>
    /// Every output of <paramref name="input"/> was acknowledged (at <paramref name="outputs"/>,
    /// in the order the handler returned them); its offset may now be committed. With
    /// <see cref="DeliveryGuarantee.ExactlyOnce"/> the outputs are written into the open transaction
    /// and become visible to read_committed consumers only when it commits.
    /// </summary>
    void OnForwarded(TopicPartitionOffset input, IReadOnlyList<TopicPartitionOffset> outputs)
    {
    }
}
