namespace Conveyor.Processing.Concurrency;

/// <summary>
/// The overload back-off's rule, like a circuit breaker's: when at least <see cref="TripShare"/> of
/// the last <see cref="Attempts"/> handler attempts failed with errors that are retried, the
/// downstream is taken to be overloaded and no handler starts for a back-off, which doubles (up to
/// <see cref="MaxBackOffFactor"/> times the first) each time the rule trips again within the
/// attempts after a back-off, and is back to the first after a run of attempts that did not trip it.
/// Thread-safe.
/// </summary>
internal sealed class OverloadBreaker(TimeSpan backOff)
{
    /// <summary>How many of the latest attempts are judged.</summary>
    public const int Attempts = 20;

    /// <summary>The share of them failed that trips the rule.</summary>
    public const double TripShare = 0.8;

    /// <summary>How far consecutive back-offs grow.</summary>
    public const int MaxBackOffFactor = 8;

    private readonly Lock _lock = new();
    private readonly bool[] _failed = new bool[Attempts];
    private int _next;
    private int _seen;
    private int _failures;
    private int _factor = 1;
    private int _sinceTrip = int.MaxValue;

    /// <summary>An attempt ended; returns the back-off to hold handlers for when this one tripped the rule.</summary>
    public TimeSpan? Attempted(bool failed)
    {
        lock (_lock)
        {
            _failures += (failed ? 1 : 0) - (_seen == Attempts && _failed[_next] ? 1 : 0);
            _failed[_next] = failed;
            _next = (_next + 1) % Attempts;
            _seen = Math.Min(Attempts, _seen + 1);
            _sinceTrip = _sinceTrip == int.MaxValue ? int.MaxValue : _sinceTrip + 1;
            if (_sinceTrip != int.MaxValue && _sinceTrip > 2 * Attempts)
            {
                _factor = 1; // a calm spell since the last back-off: the next one starts short again
                _sinceTrip = int.MaxValue;
            }

            if (_seen < Attempts || _failures < TripShare * Attempts)
            {
                return null;
            }

            var hold = backOff * _factor;
            _factor = Math.Min(MaxBackOffFactor, _factor * 2);
            _sinceTrip = 0;
            Array.Clear(_failed);
            _seen = 0;
            _failures = 0;
            _next = 0;
            return hold;
        }
    }
}
