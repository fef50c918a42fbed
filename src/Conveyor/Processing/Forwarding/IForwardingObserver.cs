using Confluent.Kafka;

namespace Conveyor.Processing.Forwarding;

/// <summary>A processor observer that also hears each forwarded message. Pass one as the forwarder's observer.</summary>
public interface IForwardingObserver : IProcessorObserver
{
    /// <summary>
    /// Every output of <paramref name="input"/> was acknowledged (at <paramref name="outputs"/>,
    /// in the order the handler returned them); its offset may now be committed.
    /// </summary>
    void OnForwarded(TopicPartitionOffset input, IReadOnlyList<TopicPartitionOffset> outputs)
    {
    }
}
