namespace Conveyor.Processing.Completions;

/// <summary>
/// Offsets above a committed offset that are already finished, as read back from the commit's
/// metadata: a bitset relative to <see cref="Committed"/>. Immutable, so the poll loop (which skips
/// these messages) and the offset tracker (which counts them as finished) share one instance.
/// </summary>
internal sealed class CompletionMap
{
    private readonly ulong[] _bits;

    private CompletionMap(long committed, ulong[] bits, long last, int count)
    {
        Committed = committed;
        _bits = bits;
        Last = last;
        Count = count;
    }

    /// <summary>No finished offsets recorded, and no committed offset known.</summary>
    public static CompletionMap Empty { get; } = new(-1, [], -1, 0);

    /// <summary>The committed offset (the lowest unfinished one) the finished offsets are relative to.</summary>
    public long Committed { get; }

    /// <summary>The highest finished offset, or -1 when there is none.</summary>
    public long Last { get; }

    /// <summary>How many offsets are finished.</summary>
    public int Count { get; }

    /// <summary>A map of these finished offsets, each above <paramref name="committed"/>, in increasing order.</summary>
    /// <exception cref="ArgumentException">An offset is not above the committed one, or not above the previous one.</exception>
    public static CompletionMap Of(long committed, IReadOnlyList<long> finished)
    {
        var previous = committed;
        foreach (var offset in finished)
        {
            if (offset <= previous)
            {
                throw new ArgumentException($"Finished offsets must increase from above the committed offset {committed}; {offset} follows {previous}.", nameof(finished));
            }

            previous = offset;
        }

        return Union(committed, committed + 1, committed + 1, finished);
    }

    /// <summary>
    /// A map of a run of finished offsets, <paramref name="runFrom"/> up to (not including)
    /// <paramref name="runTo"/>, joined with <paramref name="others"/> (any order, repeats allowed).
    /// Offsets not above <paramref name="committed"/> are left out.
    /// </summary>
    public static CompletionMap Union(long committed, long runFrom, long runTo, IEnumerable<long> others)
    {
        runFrom = Math.Max(runFrom, committed + 1);
        var extra = others.Where(o => o > committed).ToList();
        var last = Math.Max(runTo > runFrom ? runTo - 1 : -1, extra.Count == 0 ? -1 : extra.Max());
        if (last < 0)
        {
            return new CompletionMap(committed, [], -1, 0);
        }

        var bits = new ulong[((last - committed - 1) >> 6) + 1];
        for (var offset = runFrom; offset < runTo; offset++)
        {
            var index = offset - committed - 1;
            if ((index & 63) == 0 && offset + 64 <= runTo)
            {
                bits[index >> 6] = ulong.MaxValue; // a whole word at once
                offset += 63;
                continue;
            }

            bits[index >> 6] |= 1UL << (int)(index & 63);
        }

        foreach (var offset in extra)
        {
            var index = offset - committed - 1;
            bits[index >> 6] |= 1UL << (int)(index & 63);
        }

        var count = bits.Sum(word => System.Numerics.BitOperations.PopCount(word));
        return new CompletionMap(committed, bits, last, count);
    }

    /// <summary>Whether the offset is recorded as finished.</summary>
    public bool Contains(long offset)
    {
        var index = offset - Committed - 1;
        return index >= 0 && offset <= Last && (_bits[index >> 6] & (1UL << (int)(index & 63))) != 0;
    }

    /// <summary>Adds the finished offsets above <paramref name="after"/> to <paramref name="into"/>, in increasing order.</summary>
    public void AddAbove(long after, List<long> into)
    {
        for (var offset = Math.Max(after + 1, Committed + 1); offset <= Last; offset++)
        {
            if (Contains(offset))
            {
                into.Add(offset);
            }
        }
    }
}
