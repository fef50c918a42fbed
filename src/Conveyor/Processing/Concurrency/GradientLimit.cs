namespace Conveyor.Processing.Concurrency;

/// <summary>
/// The adaptive limit's algorithm, a gradient limit in the manner of Netflix's concurrency-limits
/// (Gradient2) with Vegas's no-load latency as the baseline: handler calls are gathered in windows;
/// at each window's end the limit becomes <c>limit × gradient + √limit × (2 × gradient − 1)</c>, where the gradient is
/// <c>Tolerance × floor ÷ the window's mean latency</c>, kept within [0.5, 1]. While latency stays
/// within <see cref="Tolerance"/> of its floor the limit grows by its square root per window (fast
/// when small, gently when large); when latency rises it shrinks in proportion, at most by half a window.
/// Attempts failing with retried errors in more than <see cref="FailureShare"/> of a window cut it
/// as TCP's AIMD does on loss. Pure and single-threaded: time comes with each sample.
/// </summary>
internal sealed class GradientLimit
{
    /// <summary>How far above its floor the mean latency may be before the limit shrinks.</summary>
    public const double Tolerance = 1.5;

    /// <summary>The share of failed attempts in a window above which it counts as overload, not as a few bad messages.</summary>
    public const double FailureShare = 0.05;

    /// <summary>The shortest window; longer when the handlers are slow (twice the floor).</summary>
    public static readonly TimeSpan MinWindow = TimeSpan.FromMilliseconds(100);

    /// <summary>Calls a window needs before it is judged.</summary>
    public const int MinSamples = 5;

    /// <summary>Windows at the lowest limit with latency still above the floor before the floor is measured again.</summary>
    public const int StaleFloorWindows = 100;

    private readonly int _min;
    private readonly int _max;
    private double _limit;
    private TimeSpan _floor = TimeSpan.MaxValue;
    private TimeSpan? _windowStart;
    private long _successes;
    private long _failures;
    private double _latencySum;
    private int _maxRunning;
    private int _slowAtMin;

    public GradientLimit(int min, int max)
    {
        _min = min;
        _max = Math.Max(min, max);
        _limit = min;
    }

    /// <summary>The limit now.</summary>
    public int Limit => (int)Math.Round(_limit);

    /// <summary>The lowest mean latency of a window seen (the no-load latency); null before the first window.</summary>
    public TimeSpan? Floor => _floor == TimeSpan.MaxValue ? null : _floor;

    /// <summary>Goes on from <paramref name="limit"/> when someone else (an operator) set the limit meanwhile.</summary>
    public void Adopt(int limit)
    {
        if (limit != Limit)
        {
            _limit = Math.Clamp(limit, _min, _max);
        }
    }

    /// <summary>
    /// One handler call ended at <paramref name="now"/> after <paramref name="latency"/>, failed
    /// with a retried error or not, with <paramref name="running"/> calls running when it began;
    /// true when this closed a window and the limit may have changed.
    /// </summary>
    public bool Sample(TimeSpan now, TimeSpan latency, bool failed, int running)
    {
        _windowStart ??= now;
        if (failed)
        {
            _failures++;
        }
        else
        {
            _successes++;
            _latencySum += latency.TotalMilliseconds;
        }

        _maxRunning = Math.Max(_maxRunning, running);
        var window = _floor == TimeSpan.MaxValue ? MinWindow : TimeSpan.FromTicks(Math.Max(MinWindow.Ticks, 2 * _floor.Ticks));
        if (now - _windowStart.Value < window || _successes + _failures < MinSamples)
        {
            return false;
        }

        Judge();
        _windowStart = now;
        _successes = 0;
        _failures = 0;
        _latencySum = 0;
        _maxRunning = 0;
        return true;
    }

    private void Judge()
    {
        var failureShare = _failures / (double)(_successes + _failures);
        if (failureShare > FailureShare || _successes == 0)
        {
            // Overload: the downstream times out or refuses. Cut at once, by the share failed (at most half).
            _limit = Math.Max(_min, _limit * Math.Max(0.5, 1 - failureShare));
            return;
        }

        var mean = TimeSpan.FromMilliseconds(_latencySum / _successes);
        if (mean < _floor)
        {
            _floor = mean;
        }

        var gradient = Math.Clamp(Tolerance * _floor.TotalMilliseconds / Math.Max(mean.TotalMilliseconds, 1e-6), 0.5, 1.0);
        // The headroom (√limit at a gradient of 1) fades to nothing at 0.5, so the limit can reach its lowest.
        var next = (_limit * gradient) + (Math.Sqrt(_limit) * ((2 * gradient) - 1));
        if (gradient >= 1 && _maxRunning < _limit / 2)
        {
            // The handlers did not use the limit: nothing says more would be safe, so it does not grow.
            next = _limit;
        }

        _limit = Math.Clamp(Math.Min(next, 2 * _limit), _min, _max);
        MeasureFloorAgainIfStale(gradient);
    }

    /// <summary>
    /// At the lowest limit there is no load to blame, so latency still above the floor means the
    /// downstream became slower for good: the floor is measured again, or the limit would stay at
    /// its lowest forever. A floor is never raised under load, which would let the limit creep up.
    /// </summary>
    private void MeasureFloorAgainIfStale(double gradient)
    {
        _slowAtMin = gradient < 1 && Limit <= _min ? _slowAtMin + 1 : 0;
        if (_slowAtMin >= StaleFloorWindows)
        {
            _floor = TimeSpan.MaxValue;
            _slowAtMin = 0;
        }
    }
}
