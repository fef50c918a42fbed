using System.Runtime.CompilerServices;

namespace Conveyor.Processing.Engine;

/// <summary>
/// The ordering lane of a message: messages of one lane run one at a time, in offset order.
/// Key mode: partition and key bytes; partition mode: the partition; unordered: none. The
/// partition is one assignment of it (its <see cref="PartitionState"/>), not its name: a message of
/// a revoked assignment that waits out a retry back-off keeps its lane, and when it ends it drops
/// the lane's followers, which must never be the messages of the partition's next assignment here.
/// </summary>
internal readonly struct LaneKey : IEquatable<LaneKey>
{
    private readonly PartitionState? _partition;
    private readonly byte[]? _key;

    // No hash kept: two references, so that a work item holds its size in the room a kept hash
    // took. The dictionary of busy lanes keeps each entry's hash itself and compares it first; a
    // lookup hashes the message's own key, which is in the cache when the lane is looked up.
    private LaneKey(PartitionState partition, byte[]? key)
    {
        _partition = partition;
        _key = key;
    }

    /// <summary>No lane: the message may run beside any other.</summary>
    public static LaneKey None => default;

    public bool IsNone => _partition is null;

    public static LaneKey For(OrderingMode mode, PartitionState partition, byte[]? key) => mode switch
    {
        OrderingMode.Key => new LaneKey(partition, key),
        OrderingMode.Partition => new LaneKey(partition, null),
        _ => None,
    };

    public bool Equals(LaneKey other) =>
        ReferenceEquals(_partition, other._partition) && _key.AsSpan().SequenceEqual(other._key);

    public override bool Equals(object? obj) => obj is LaneKey other && Equals(other);

    public override int GetHashCode()
    {
        if (_partition is null)
        {
            return 0;
        }

        var hash = new HashCode();
        hash.Add(RuntimeHelpers.GetHashCode(_partition));
        hash.AddBytes(_key);
        return hash.ToHashCode();
    }
}
