using Confluent.Kafka;
using Conveyor.Native;
using Conveyor.Native.Consuming;
using Conveyor.Processing.Completions;

namespace Conveyor.Processing.Engine;

/// <summary>
/// The production consumer: Confluent.Kafka's, committing with metadata and reading messages
/// through librdkafka directly on its handle (<see cref="NativeConsume"/>), or with its own
/// <c>Consume</c> when <paramref name="confluentConsume"/> says so or the handle is hidden.
/// </summary>
internal sealed class KafkaConsumerFactory(ConsumerConfig config, bool confluentConsume = false) : IConsumerFactory
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

    public IMessageSource Messages(IConsumer<byte[]?, byte[]?> consumer, Action<Error> warn)
    {
        if (confluentConsume)
        {
            return new ConsumerMessages(consumer);
        }

        if (NativeConsume.For(consumer) is { } native)
        {
            return native;
        }

        warn(new Error(ErrorCode.Local_NotImplemented,
            "This Confluent.Kafka version hides the native client handle: messages are read with Confluent.Kafka's Consume, which allocates more per message; nothing else changes."));
        return new ConsumerMessages(consumer);
    }
}
