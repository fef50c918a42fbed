using System.Globalization;

namespace Conveyor.Processing.Concurrency;

/// <summary>
/// The adaptive limit at work: hears every handler attempt's latency and whether it failed with a
/// retried error, feeds <see cref="GradientLimit"/>, and sets the processor's <see cref="ConcurrencyLimit"/>
/// at each window's end. Workers call it from many threads: one lock, held for a few additions.
/// </summary>
internal sealed class AdaptiveConcurrency
{
    private readonly Lock _lock = new();
    private readonly ConcurrencyLimit _limit;
    private readonly GradientLimit _gradient;
    private readonly TimeProvider _time;
    private readonly long _start;

    /// <param name="limit">The limit it sets.</param>
    /// <param name="time">The clock of its windows.</param>
    public AdaptiveConcurrency(ConcurrencyLimit limit, TimeProvider? time = null)
    {
        _limit = limit;
        _gradient = new GradientLimit(limit.Min, limit.Max);
        _gradient.Adopt(limit.Limit);
        _time = time ?? TimeProvider.System;
        _start = _time.GetTimestamp();
    }

    /// <summary>A handler attempt that began with <paramref name="running"/> attempts running took <paramref name="latency"/>; <paramref name="failed"/>: with an error that is retried.</summary>
    public void Attempted(TimeSpan latency, bool failed, int running)
    {
        int next;
        TimeSpan? floor;
        lock (_lock)
        {
            _gradient.Adopt(_limit.Limit);
            if (!_gradient.Sample(_time.GetElapsedTime(_start), latency, failed, running))
            {
                return;
            }

            next = _gradient.Limit;
            floor = _gradient.Floor;
            if (next == _limit.Limit)
            {
                return;
            }
        }

        _limit.SetLimit(next, floor is { } f
            ? string.Create(CultureInfo.InvariantCulture, $"adaptive (latency floor {f.TotalMilliseconds:F1} ms)")
            : "adaptive (attempts failing)");
    }
}
