namespace Conveyor.Processing.Transactions;

/// <summary>
/// Exactly-once: how many handler calls of each message of a partition failed, kept across an
/// aborted transaction's rewind. The rewind reads the partition again into fresh state, and a
/// message's attempts would start over, so one that fails inside transactions that keep aborting
/// (outputs of other messages failing) would be retried without end, never reaching its failure
/// action. Written by workers (a failed call), read by the poll thread (a message fetched again),
/// and trimmed as transactions commit past messages.
/// <para>
/// It also keeps a message whose last attempt failed in a way that dooms its own transaction (an
/// output that failed permanently: <see cref="PermanentOutputErrors"/>). Its failure action cannot
/// run before the abort (a dead letter and a finish would be undone by the rewind, and the message
/// would write its outputs again and fail again, transaction after transaction), so it runs when
/// the message comes again (<see cref="GaveUp"/>); once it did, the message is only finished if
/// another abort brings it back (<see cref="Settle"/>), so its dead letter is written once.
/// </para>
/// </summary>
internal sealed class FailedAttempts
{
    private readonly Lock _lock = new();
    private readonly Dictionary<long, Entry> _attempts = [];
    private int _count; // read without the lock: a fetched message of a partition with no failures pays one read

    /// <summary>The failed calls recorded for the message at <paramref name="offset"/> (0 when none).</summary>
    public int Of(long offset)
    {
        if (Volatile.Read(ref _count) == 0)
        {
            return 0;
        }

        lock (_lock)
        {
            return _attempts.GetValueOrDefault(offset).Attempts;
        }
    }

    /// <summary>The message at <paramref name="offset"/> has had <paramref name="attempts"/> failed calls so far.</summary>
    public void Record(long offset, int attempts)
    {
        lock (_lock)
        {
            var entry = _attempts.GetValueOrDefault(offset);
            _attempts[offset] = entry with { Attempts = Math.Max(attempts, entry.Attempts) };
            Volatile.Write(ref _count, _attempts.Count);
        }
    }

    /// <summary>
    /// The message at <paramref name="offset"/> failed for good with <paramref name="failure"/>, which
    /// aborts its transaction: its failure action is due when the abort's rewind brings it again.
    /// </summary>
    public void GiveUp(long offset, Exception failure)
    {
        lock (_lock)
        {
            _attempts[offset] = _attempts.GetValueOrDefault(offset) with { GaveUpWith = failure };
            Volatile.Write(ref _count, _attempts.Count);
        }
    }

    /// <summary>
    /// Whether the message at <paramref name="offset"/> failed for good before an abort rewound it:
    /// the failure it gave up with, and whether its failure action ran since (<see cref="Settle"/>); null when not.
    /// </summary>
    public (Exception Failure, bool Settled)? GaveUp(long offset)
    {
        if (Volatile.Read(ref _count) == 0)
        {
            return null;
        }

        lock (_lock)
        {
            return _attempts.GetValueOrDefault(offset) is { GaveUpWith: { } failure } entry ? (failure, entry.Settled) : null;
        }
    }

    /// <summary>The failure action of a message that gave up (<see cref="GiveUp"/>) ran and finished it.</summary>
    public void Settle(long offset)
    {
        lock (_lock)
        {
            if (_attempts.TryGetValue(offset, out var entry))
            {
                _attempts[offset] = entry with { Settled = true };
            }
        }
    }

    /// <summary>A transaction committed the partition up to <paramref name="committed"/>: the messages below it never run again here.</summary>
    public void CommittedTo(long committed)
    {
        if (Volatile.Read(ref _count) == 0)
        {
            return;
        }

        lock (_lock)
        {
            foreach (var offset in _attempts.Keys.Where(o => o < committed).ToList())
            {
                _attempts.Remove(offset);
            }

            Volatile.Write(ref _count, _attempts.Count);
        }
    }

    private readonly record struct Entry(int Attempts, Exception? GaveUpWith = null, bool Settled = false);
}
