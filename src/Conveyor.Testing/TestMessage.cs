using Confluent.Kafka;
using Conveyor.Processing;

namespace Conveyor.Testing;

/// <summary>
/// Messages for unit tests of handlers, made without a broker: a <see cref="MessageContext{TKey, TValue}"/>
/// as the engine would hand it to a handler, with the topic, partition, offset, headers, timestamp
/// and attempt a test chooses.
/// </summary>
public static class TestMessage
{
    /// <summary>A message as a handler sees it.</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <typeparam name="TValue">The value type.</typeparam>
    /// <param name="key">The deserialized key.</param>
    /// <param name="value">The deserialized value.</param>
    /// <param name="topic">The topic it came from. Default <c>test</c>.</param>
    /// <param name="partition">Its partition, 0 or more. Default 0.</param>
    /// <param name="offset">Its offset, 0 or more. Default 0.</param>
    /// <param name="headers">Its headers; null: none.</param>
    /// <param name="timestamp">Its timestamp; null: now, as the producer would set it (<see cref="TimestampType.CreateTime"/>).</param>
    /// <param name="attempt">Which attempt this is, 1 or more: 2 tests a handler on its first retry. Default 1.</param>
    /// <exception cref="ArgumentException">A topic that is empty, or a partition, offset or attempt out of range.</exception>
    public static MessageContext<TKey, TValue> Create<TKey, TValue>(
        TKey key,
        TValue value,
        string topic = "test",
        int partition = 0,
        long offset = 0,
        Headers? headers = null,
        Timestamp? timestamp = null,
        int attempt = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        return new MessageContext<TKey, TValue>(
            topic,
            partition,
            offset,
            key,
            value,
            headers ?? [],
            timestamp ?? new Timestamp(DateTime.UtcNow, TimestampType.CreateTime),
            attempt);
    }
}
