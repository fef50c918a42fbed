using Confluent.Kafka;
using Conveyor.Processing.Engine;

namespace Conveyor.Processing;

/// <summary>One message as a handler sees it.</summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public sealed class MessageContext<TKey, TValue>
{
    // Holds the headers (one field, as before the native consume path): the fetched message's, or a test message's.
    private readonly Message<byte[]?, byte[]?> _message;

    internal MessageContext(ConsumeResult<byte[]?, byte[]?> source, TKey key, TValue value, int attempt)
    {
        Topic = source.Topic;
        Partition = source.Partition.Value;
        Offset = source.Offset.Value;
        Key = key;
        Value = value;
        _message = source.Message;
        Timestamp = source.Message.Timestamp;
        Attempt = attempt;
        SerializedSize = (source.Message.Key?.Length ?? 0) + (source.Message.Value?.Length ?? 0);
    }

    /// <summary>A message made without a broker (Conveyor.Testing's <c>TestMessage</c>).</summary>
    internal MessageContext(string topic, int partition, long offset, TKey key, TValue value, Headers headers, Timestamp timestamp, int attempt, int serializedSize)
    {
        Topic = topic;
        Partition = partition;
        Offset = offset;
        Key = key;
        Value = value;
        _message = new Message<byte[]?, byte[]?> { Headers = headers };
        Timestamp = timestamp;
        Attempt = attempt;
        SerializedSize = serializedSize;
    }

    /// <summary>The engine's message this context was made for (null for a test message): exactly-once forwarding holds the commit gate for it when it writes outputs.</summary>
    internal WorkItem? Item { get; init; }

    /// <summary>The topic it came from.</summary>
    public string Topic { get; }

    /// <summary>Its partition.</summary>
    public int Partition { get; }

    /// <summary>Its offset in the partition.</summary>
    public long Offset { get; }

    /// <summary>The deserialized key.</summary>
    public TKey Key { get; }

    /// <summary>The deserialized value.</summary>
    public TValue Value { get; }

    /// <summary>Its headers (never null).</summary>
    // A message read natively without headers has none until asked for: made then, and kept in the
    // fetched message, so what a handler adds is seen by a dead letter as it was before.
    public Headers Headers => _message.Headers ??= [];

    /// <summary>Its timestamp.</summary>
    public Timestamp Timestamp { get; }

    /// <summary>Which attempt this is: 1 the first time, 2 on the first retry, ...</summary>
    public int Attempt { get; }

    /// <summary>Bytes of the key and value as fetched, for batch size limits.</summary>
    internal int SerializedSize { get; }
}
