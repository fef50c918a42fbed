using Confluent.Kafka;

namespace Conveyor.Processing.Engine;

/// <summary>
/// The ordering lane of a message: messages of one lane run one at a time, in offset order.
/// Key mode: partition and key bytes; partition mode: the partition; unordered: none.
/// </summary>
internal readonly struct LaneKey : IEquatable<LaneKey>
{
    private readonly TopicPartition? _partition;
    private readonly byte[]? _key;
    private readonly int _hash;

    private LaneKey(TopicPartition partition, byte[]? key)
    {
        _partition = partition;
        _key = key;
        var hash = new HashCode();
        hash.Add(partition);
        hash.AddBytes(key);
        _hash = hash.ToHashCode();
    }

    /// <summary>No lane: the message may run beside any other.</summary>
    public static LaneKey None => default;

    public bool IsNone => _partition is null;

    public static LaneKey For(OrderingMode mode, TopicPartition partition, byte[]? key) => mode switch
    {
        OrderingMode.Key => new LaneKey(partition, key),
        OrderingMode.Partition => new LaneKey(partition, null),
        _ => None,
    };

    public bool Equals(LaneKey other) =>
        _hash == other._hash && Equals(_partition, other._partition) && _key.AsSpan().SequenceEqual(other._key);

    public override bool Equals(object? obj) => obj is LaneKey other && Equals(other);

    public override int GetHashCode() => _hash;
}
