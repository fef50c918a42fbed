using Confluent.Kafka;
using Conveyor.Processing.Engine;

namespace Conveyor.Processing;

/// <summary>One message as a handler sees it.</summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public sealed class MessageContext<TKey, TValue>
{
    // Every message passes here once per attempt: the fetched message's topic, partition, offset,
    // timestamp and headers are read through from it (never changed once fetched) rather than
    // copied, which keeps the context at 48 bytes instead of 88. One field serves both kinds of
    // context: the engine's work item (which holds the fetched message), or the fetched message
    // alone for one made without the engine (a batch's, a test's). A second field for the work
    // item made every context 56 bytes.
    private readonly object _source;

    /// <summary>A message the engine runs: exactly-once forwarding reaches its work item through <see cref="Item"/>.</summary>
    internal MessageContext(WorkItem item, TKey key, TValue value, int attempt)
        : this((object)item, key, value, attempt)
    {
    }

    internal MessageContext(ConsumeResult<byte[]?, byte[]?> source, TKey key, TValue value, int attempt)
        : this((object)source, key, value, attempt)
    {
    }

    private MessageContext(object source, TKey key, TValue value, int attempt)
    {
        _source = source;
        Key = key;
        Value = value;
        Attempt = attempt;
    }

    /// <summary>A message made without a broker (Conveyor.Testing's <c>TestMessage</c>).</summary>
    internal MessageContext(string topic, int partition, long offset, TKey key, TValue value, Headers headers, Timestamp timestamp, int attempt)
        : this(
            new ConsumeResult<byte[]?, byte[]?>
            {
                Topic = topic,
                Partition = new Partition(partition),
                Offset = new Offset(offset),
                Message = new Message<byte[]?, byte[]?> { Headers = headers, Timestamp = timestamp },
            },
            key,
            value,
            attempt)
    {
    }

    /// <summary>The engine's message this context was made for (null for a batch's or a test message): exactly-once forwarding holds the commit gate for it when it writes outputs.</summary>
    internal WorkItem? Item => _source as WorkItem;

    /// <summary>The topic it came from.</summary>
    public string Topic => Fetched.Topic;

    /// <summary>Its partition.</summary>
    public int Partition => Fetched.Partition.Value;

    /// <summary>Its offset in the partition.</summary>
    public long Offset => Fetched.Offset.Value;

    /// <summary>The deserialized key.</summary>
    public TKey Key { get; }

    /// <summary>The deserialized value.</summary>
    public TValue Value { get; }

    /// <summary>Its headers (never null).</summary>
    // A message read natively without headers has none until asked for: made then, and kept in the
    // fetched message, so what a handler adds is seen by a dead letter as it was before.
    public Headers Headers => Fetched.Message.Headers ??= [];

    /// <summary>Its timestamp.</summary>
    public Timestamp Timestamp => Fetched.Message.Timestamp;

    /// <summary>Which attempt this is: 1 the first time, 2 on the first retry, ...</summary>
    public int Attempt { get; }

    // WorkItem is sealed: telling the two kinds apart is one comparison of the object's type.
    private ConsumeResult<byte[]?, byte[]?> Fetched =>
        _source is WorkItem item ? item.Result : (ConsumeResult<byte[]?, byte[]?>)_source;
}
