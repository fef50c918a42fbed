using Confluent.Kafka;

namespace Conveyor.Processing.Engine;

/// <summary>
/// Where the feeder takes fetched messages from, on the poll thread: <c>Consume</c> with Confluent.Kafka's
/// results, errors and callbacks. Production reads the consumer's handle natively
/// (<see cref="Native.Consuming.NativeConsume"/>); <see cref="ConsumerMessages"/> calls the consumer itself.
/// </summary>
internal interface IMessageSource
{
    /// <summary>The next message, a partition's end, or null when none came within <paramref name="timeout"/>.</summary>
    /// <exception cref="ConsumeException">The fetch failed (as <see cref="IConsumer{TKey, TValue}.Consume(TimeSpan)"/> throws it).</exception>
    ConsumeResult<byte[]?, byte[]?>? Consume(TimeSpan timeout);
}
