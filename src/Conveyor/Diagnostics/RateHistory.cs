namespace Conveyor.Diagnostics;

/// <summary>
/// Counts events per second over the last few minutes in a fixed ring, so the status (and the
/// dashboard's chart) can show a processor's message rate without keeping every event.
/// Seconds are counted on the monotonic clock from the history's creation: NTP stepping the wall
/// clock must neither drop the ring's counts (a step forward) nor pile new ones into old seconds
/// (a step back). No time is shown from it, so no wall time is needed.
/// </summary>
internal sealed class RateHistory(TimeProvider time)
{
    public const int Seconds = 300;

    private readonly long _origin = time.GetTimestamp();

    private readonly long[] _second = new long[Seconds];
    private readonly long[] _count = new long[Seconds];
    private readonly Lock _lock = new();

    public void Add() => Add(1);

    /// <summary>Counts <paramref name="events"/> in the current second.</summary>
    public void Add(long events)
    {
        var now = Now();
        var slot = (int)(now % Seconds);
        lock (_lock)
        {
            if (_second[slot] != now)
            {
                _second[slot] = now;
                _count[slot] = 0;
            }

            _count[slot] += events;
        }
    }

    /// <summary>Messages per second in each of <paramref name="buckets"/> buckets of <paramref name="bucketSeconds"/>, oldest first; the current second is left out (it is still counting).</summary>
    public double[] Rates(int buckets, int bucketSeconds)
    {
        var last = Now() - 1;
        var rates = new double[buckets];
        lock (_lock)
        {
            for (var b = 0; b < buckets; b++)
            {
                long sum = 0;
                for (var s = 0; s < bucketSeconds; s++)
                {
                    var second = last - (((buckets - 1 - b) * bucketSeconds) + s);
                    if (second < 0 || last - second >= Seconds)
                    {
                        continue;
                    }

                    var slot = (int)(second % Seconds);
                    sum += _second[slot] == second ? _count[slot] : 0;
                }

                rates[b] = (double)sum / bucketSeconds;
            }
        }

        return rates;
    }

    /// <summary>Whole seconds since the history was created, on the monotonic clock.</summary>
    private long Now() => (long)time.GetElapsedTime(_origin).TotalSeconds;
}
