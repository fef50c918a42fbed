using Confluent.Kafka;
using Conveyor.Native;
using Conveyor.Processing.Completions;

namespace Conveyor.Processing.Engine;

/// <summary>The production consumer: Confluent.Kafka's, committing with metadata through librdkafka directly.</summary>
internal sealed class KafkaConsumerFactory(ConsumerConfig config) : IConsumerFactory
{
    public IConsumer<byte[]?, byte[]?> Create(ConsumerCallbacks callbacks) =>
        new ConsumerBuilder<byte[]?, byte[]?>(config)
            .SetPartitionsAssignedHandler(callbacks.Assigned)
            .SetPartitionsRevokedHandler(callbacks.Revoked)
            .SetPartitionsLostHandler(callbacks.Lost)
            .SetErrorHandler(callbacks.Error)
            .SetLogHandler(callbacks.Log)
            .SetStatisticsHandler(callbacks.Statistics)
            .Build();

    public IOffsetsWithMetadata? OffsetsWithMetadata(IConsumer<byte[]?, byte[]?> consumer) => OffsetsNative.For(consumer);
}
