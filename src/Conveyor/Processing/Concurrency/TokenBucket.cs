namespace Conveyor.Processing.Concurrency;

/// <summary>
/// The rate limit's tokens: <c>perSecond</c> of them a second, at most a tenth of a second's worth
/// (at least one) saved up, so a quiet spell allows only a short burst. Timestamps come from the
/// caller (a <see cref="TimeProvider"/>'s or <see cref="System.Diagnostics.Stopwatch"/>'s, with their frequency). Not thread-safe: the dispatcher calls it under its lock.
/// </summary>
internal sealed class TokenBucket
{
    private readonly double _perTick;
    private readonly double _burst;
    private double _tokens;
    private long _last;

    public TokenBucket(double perSecond, long now, long frequency)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        _perTick = perSecond / frequency;
        _burst = Math.Max(1, perSecond / 10);
        _tokens = _burst;
        _last = now;
    }

    /// <summary>Whether a token is there at <paramref name="now"/>; if not, <paramref name="due"/> is when the next one is.</summary>
    public bool Has(long now, out long due)
    {
        Refill(now);
        due = _tokens >= 1 ? now : now + (long)Math.Ceiling((1 - _tokens) / _perTick);
        return _tokens >= 1;
    }

    /// <summary>Spends a token <see cref="Has"/> said was there.</summary>
    public void Spend() => _tokens--;

    private void Refill(long now)
    {
        if (now > _last)
        {
            _tokens = Math.Min(_burst, _tokens + ((now - _last) * _perTick));
            _last = now;
        }
    }
}
