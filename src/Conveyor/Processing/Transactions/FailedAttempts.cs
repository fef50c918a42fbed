namespace Conveyor.Processing.Transactions;

/// <summary>
/// Exactly-once: how many handler calls of each message of a partition failed, kept across an
/// aborted transaction's rewind. The rewind reads the partition again into fresh state, and a
/// message's attempts would start over, so one that fails inside transactions that keep aborting
/// (outputs of other messages failing) would be retried without end, never reaching its failure
/// action. Written by workers (a failed call), read by the poll thread (a message fetched again),
/// and trimmed as transactions commit past messages.
/// </summary>
internal sealed class FailedAttempts
{
    private readonly Lock _lock = new();
    private readonly Dictionary<long, int> _attempts = [];
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
            return _attempts.GetValueOrDefault(offset);
        }
    }

    /// <summary>The message at <paramref name="offset"/> has had <paramref name="attempts"/> failed calls so far.</summary>
    public void Record(long offset, int attempts)
    {
        lock (_lock)
        {
            _attempts[offset] = Math.Max(attempts, _attempts.GetValueOrDefault(offset));
            Volatile.Write(ref _count, _attempts.Count);
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
}
