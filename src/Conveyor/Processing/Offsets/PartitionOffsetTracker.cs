using Conveyor.Processing.Completions;

namespace Conveyor.Processing.Offsets;

/// <summary>
/// The offsets of one partition that are being processed. Offsets are tracked in the order the
/// partition delivers them (increasing, possibly with gaps) and completed in any order. The
/// committable offset is always the lowest unfinished one, so a commit never passes a message that
/// is still being processed; once everything is done it is the last offset + 1. Offsets a previous
/// owner already finished (<see cref="Restored"/>, read from the commit metadata) count as
/// finished without being tracked: the poll loop skips their messages.
/// </summary>
/// <remarks>
/// Not thread-safe: one owner (the poll loop) calls it. A ring buffer in delivery order, so
/// tracking and completing allocate nothing once the buffer has grown to the in-flight peak;
/// completion finds its slot by binary search, since delivered offsets are sorted.
/// </remarks>
internal sealed class PartitionOffsetTracker
{
    private const int InitialCapacity = 16;

    private long[] _offsets = new long[InitialCapacity];
    private bool[] _done = new bool[InitialCapacity];
    private int _head;
    private int _count;
    private long _lastTracked = -1;

    public PartitionOffsetTracker()
        : this(CompletionMap.Empty)
    {
    }

    /// <param name="restored">Offsets finished before this assignment; never tracked, always finished.</param>
    public PartitionOffsetTracker(CompletionMap restored)
    {
        Restored = restored;
    }

    /// <summary>Offsets finished before this assignment (immutable, shared with the poll loop).</summary>
    public CompletionMap Restored { get; private set; }

    /// <summary>Offsets tracked and not yet passed by the committable offset (finished ones behind a gap included).</summary>
    public int Pending => _count;

    /// <summary>
    /// The offset to commit (the next one to read after a restart): the lowest unfinished offset,
    /// or the last tracked + 1 when all are finished; null before anything was tracked.
    /// </summary>
    public long? Committable => _count > 0 ? _offsets[_head] : _lastTracked >= 0 ? PastRestored(_lastTracked + 1) : null;

    /// <summary>Starts tracking an offset; offsets must arrive in increasing order.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The offset is not above the last one tracked.</exception>
    public void Track(long offset)
    {
        if (offset <= _lastTracked)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), offset, $"Offsets must increase; the last one tracked was {_lastTracked}.");
        }

        if (_count == _offsets.Length)
        {
            Grow();
        }

        var slot = (_head + _count) % _offsets.Length;
        _offsets[slot] = offset;
        _done[slot] = false;
        _count++;
        _lastTracked = offset;
    }

    /// <summary>
    /// Passes an offset that was finished before this assignment (<see cref="Restored"/>) and was
    /// never tracked: once nothing before it is pending, the committable offset moves past it.
    /// Call it after tracking every message delivered before it; an offset at or below the last
    /// tracked one changes nothing.
    /// </summary>
    public void PassRestored(long offset)
    {
        if (offset > _lastTracked && Restored.Contains(offset))
        {
            _lastTracked = offset;
        }
    }

    /// <summary>
    /// Passes an offset that needs no handling here (another group's message): like
    /// <see cref="PassRestored"/>, once nothing before it is pending the committable offset moves past it.
    /// </summary>
    public void PassUntracked(long offset)
    {
        if (offset > _lastTracked)
        {
            _lastTracked = offset;
        }
    }

    /// <summary>Marks an offset finished; returns true when that moved the committable offset.</summary>
    /// <exception cref="InvalidOperationException">The offset is not pending (never tracked, or already passed).</exception>
    public bool Complete(long offset)
    {
        var index = Find(offset);
        if (index < 0)
        {
            throw new InvalidOperationException($"Offset {offset} is not pending in this partition.");
        }

        _done[(_head + index) % _offsets.Length] = true;
        if (index != 0)
        {
            return false;
        }

        // Move past the unbroken run of finished offsets at the front.
        while (_count > 0 && _done[_head])
        {
            _head = (_head + 1) % _offsets.Length;
            _count--;
        }

        return true;
    }

    /// <summary>
    /// Adds the finished offsets above <see cref="Committable"/> to <paramref name="into"/>, in
    /// increasing order: finished ones behind the gap and restored ones not yet passed. What the
    /// commit metadata records.
    /// </summary>
    public void AddFinishedAboveCommittable(List<long> into)
    {
        if (Committable is not { } committable)
        {
            return;
        }

        var start = into.Count;
        for (var i = 0; i < _count; i++)
        {
            var slot = (_head + i) % _offsets.Length;
            if (_done[slot] && !Restored.Contains(_offsets[slot]))
            {
                into.Add(_offsets[slot]);
            }
        }

        if (Restored.Last > committable)
        {
            var tracked = into.Count - start;
            Restored.AddAbove(committable, into);
            if (tracked > 0 && into.Count > start + tracked)
            {
                // Both kinds between the gap and the last tracked offset: merge them (the first loop left restored ones out).
                into.Sort(start, into.Count - start, Comparer<long>.Default);
            }
        }
    }

    /// <summary>Forgets everything pending (the partition was revoked or lost); the next offset tracked may be any.</summary>
    public void Reset()
    {
        _head = 0;
        _count = 0;
        _lastTracked = -1;
        Restored = CompletionMap.Empty;
    }

    /// <summary>The first offset from <paramref name="offset"/> on that was not finished before this assignment.</summary>
    private long PastRestored(long offset)
    {
        while (Restored.Contains(offset))
        {
            offset++;
        }

        return offset;
    }

    /// <summary>The position of the offset among the pending ones, or -1.</summary>
    private int Find(long offset)
    {
        int low = 0, high = _count - 1;
        while (low <= high)
        {
            var middle = (low + high) >>> 1;
            var value = _offsets[(_head + middle) % _offsets.Length];
            if (value == offset)
            {
                return middle;
            }

            if (value < offset)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return -1;
    }

    private void Grow()
    {
        var offsets = new long[_offsets.Length * 2];
        var done = new bool[_offsets.Length * 2];
        for (var i = 0; i < _count; i++)
        {
            offsets[i] = _offsets[(_head + i) % _offsets.Length];
            done[i] = _done[(_head + i) % _offsets.Length];
        }

        _offsets = offsets;
        _done = done;
        _head = 0;
    }
}
