namespace Conveyor.Cli.Verify;

/// <summary>
/// Tells when a count has not moved for a while: once when it first stands still for the stall
/// timeout, then again every further timeout, until it moves.
/// </summary>
internal sealed class ProgressWatch(TimeSpan stallTimeout)
{
    private long _last = -1;
    private TimeSpan _movedAt;
    private TimeSpan _reportAt;

    /// <summary>How long <paramref name="count"/> has stood still, when that is due to be reported; otherwise null.</summary>
    public TimeSpan? Stalled(long count, TimeSpan now)
    {
        if (count != _last)
        {
            _last = count;
            _movedAt = now;
            _reportAt = now + stallTimeout;
            return null;
        }

        if (now < _reportAt)
        {
            return null;
        }

        _reportAt = now + stallTimeout;
        return now - _movedAt;
    }
}
