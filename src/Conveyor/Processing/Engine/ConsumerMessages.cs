using Confluent.Kafka;

namespace Conveyor.Processing.Engine;

/// <summary>Messages read by the consumer's own <c>Consume</c>: test fakes, and the fallback when the native handle is hidden.</summary>
internal sealed class ConsumerMessages(IConsumer<byte[]?, byte[]?> consumer) : IMessageSource
{
    /// <inheritdoc />
    public ConsumeResult<byte[]?, byte[]?>? Consume(TimeSpan timeout) => consumer.Consume(timeout);
}
