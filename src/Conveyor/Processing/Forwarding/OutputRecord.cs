using System.Text;
using Confluent.Kafka;

namespace Conveyor.Processing.Forwarding;

/// <summary>
/// A record a forwarding handler emits for an input message: where it goes and what it carries,
/// already serialized. The input's offset passes only once every output of it is acknowledged.
/// </summary>
/// <param name="Topic">The topic to write to.</param>
/// <param name="Key">The key bytes (null: no key).</param>
/// <param name="Value">The value bytes (null: a tombstone).</param>
public sealed record OutputRecord(string Topic, byte[]? Key, byte[]? Value)
{
    /// <summary>Headers to write with it; null for none.</summary>
    public Headers? Headers { get; init; }

    /// <summary>The partition to write to; null lets the producer's partitioner choose by key.</summary>
    public int? Partition { get; init; }

    /// <summary>An output whose key and value are UTF-8 text.</summary>
    /// <param name="topic">The topic to write to.</param>
    /// <param name="key">The key (null: no key).</param>
    /// <param name="value">The value (null: a tombstone).</param>
    public static OutputRecord Utf8(string topic, string? key, string? value) =>
        new(topic, key is null ? null : Encoding.UTF8.GetBytes(key), value is null ? null : Encoding.UTF8.GetBytes(value));

    internal Message<byte[]?, byte[]?> ToMessage() => new() { Key = Key, Value = Value, Headers = Headers };

    internal TopicPartition Destination => new(Topic, Partition is { } partition ? new Partition(partition) : Confluent.Kafka.Partition.Any);
}
