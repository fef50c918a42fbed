using Confluent.Kafka;

namespace Conveyor.Simulation.Pipelines;

/// <summary>The consumer's group metadata handed to <c>SendOffsetsToTransaction</c>: the simulated broker fences by who owns each partition now, not by this.</summary>
internal sealed class SimGroupMetadata : IConsumerGroupMetadata
{
    public static SimGroupMetadata Instance { get; } = new();
}
