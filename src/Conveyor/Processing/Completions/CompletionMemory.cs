using Confluent.Kafka;

namespace Conveyor.Processing.Completions;

/// <summary>
/// What this member finished in partitions it gave up, kept for a while in case they come back.
/// A commit refused during a rebalance (the embedded broker refuses every commit while a classic
/// group rebalances; a real broker refuses them while the group completes its rebalance) leaves
/// the committed offset behind the work done, and an eager rebalance hands most partitions straight
/// back to the members that had them. The commit metadata cannot carry what a refused commit held,
/// but this member still knows: on the next assignment of the same partition, the offsets it
/// finished are skipped, as those read from the metadata are.
/// </summary>
/// <remarks>
/// Only offsets this member saw finish are remembered: the run from the first message of the
/// assignment up to the lowest unfinished one, and the finished ones above it. Skipping them never
/// loses a message, whoever committed what meanwhile, since each was handled. Memories last
/// <see cref="KeepFor"/>, and only as long as the processor runs (a group's offsets can be reset
/// only while it has no members). Poll thread only.
/// </remarks>
internal sealed class CompletionMemory(TimeProvider time)
{
    /// <summary>How long a given-up partition's finished offsets are kept.</summary>
    public static readonly TimeSpan KeepFor = TimeSpan.FromMinutes(2);

    /// <summary>The longest finished run recalled (2 MiB of bitset); a longer one is handled again.</summary>
    private const long MaxRun = 16L << 20;

    private readonly Dictionary<TopicPartition, Memory> _memories = [];

    /// <summary>How many partitions are remembered now.</summary>
    public int Count => _memories.Count;

    /// <summary>
    /// Remembers a given-up partition: every offset from <paramref name="first"/> up to (not
    /// including) <paramref name="lowestUnfinished"/> was finished, and so were <paramref name="finishedAbove"/>.
    /// </summary>
    /// <param name="partition">The partition given up.</param>
    /// <param name="first">The first offset the assignment delivered.</param>
    /// <param name="lowestUnfinished">The lowest offset not finished (all before it from <paramref name="first"/> were).</param>
    /// <param name="finishedAbove">Finished offsets above <paramref name="lowestUnfinished"/>, increasing.</param>
    public void Remember(TopicPartition partition, long first, long lowestUnfinished, IReadOnlyList<long> finishedAbove)
    {
        Expire();
        if (first < 0 || (lowestUnfinished <= first && finishedAbove.Count == 0))
        {
            return; // nothing finished in that assignment
        }

        _memories[partition] = new Memory(first, Math.Max(first, lowestUnfinished), [.. finishedAbove], time.GetTimestamp());
    }

    /// <summary>
    /// The finished offsets of a partition assigned again: those read from its commit metadata
    /// (<paramref name="restored"/>, relative to the committed offset; null when none was read)
    /// joined with what this member remembers of it. Forgets the memory either way.
    /// </summary>
    public CompletionMap? Recall(TopicPartition partition, CompletionMap? restored)
    {
        Expire();
        if (!_memories.Remove(partition, out var memory))
        {
            return restored;
        }

        // The map's base must be below every offset it holds and must not claim the committed
        // offset itself unless it is known finished: with a committed offset C the fetch starts at
        // C, so the base is C - 1 and C is in the map only if remembered. Without one, the fetch
        // starts wherever auto.offset.reset says, and only remembered offsets count.
        var committed = restored?.Committed ?? -1;
        var floor = committed >= 0 ? committed : memory.First;
        var runFrom = Math.Max(floor, memory.First);
        if (memory.LowestUnfinished - runFrom > MaxRun)
        {
            runFrom = memory.LowestUnfinished; // too long to hold as a bitset: handled again instead
        }

        var others = new List<long>(memory.FinishedAbove);
        restored?.AddAbove(restored.Committed, others);
        var map = CompletionMap.Union(floor - 1, runFrom, memory.LowestUnfinished, others);
        return map.Count == 0 ? restored : map;
    }

    private void Expire()
    {
        var now = time.GetTimestamp(); // one clock read for every memory, not one each
        foreach (var (partition, memory) in _memories.Where(m => time.GetElapsedTime(m.Value.RememberedAt, now) >= KeepFor).ToList())
        {
            _memories.Remove(partition);
        }
    }

    // RememberedAt is the engine clock's monotonic timestamp (the simulator's own clock in a
    // simulation): a wall-clock step neither drops memories early nor keeps them on.
    private sealed record Memory(long First, long LowestUnfinished, long[] FinishedAbove, long RememberedAt);
}
