namespace Conveyor.Benchmarks.Downstream;

/// <summary>
/// A service with a capacity: a call takes <see cref="BaseLatency"/> while at most
/// <see cref="Capacity"/> calls are in flight, and proportionally longer past it (2 × capacity in
/// flight: twice as long), so more calls than the capacity add latency, not throughput. A call
/// that would take longer than <see cref="Timeout"/> fails with a <see cref="TimeoutException"/>
/// after that time, as a client's timeout would. Records each call in its current window.
/// </summary>
internal sealed class SimulatedDownstream(int capacity, TimeSpan baseLatency, TimeSpan timeout)
{
    private readonly Lock _lock = new();
    private readonly List<double> _latenciesMs = [];
    private int _inFlight;
    private long _succeeded;
    private long _failed;
    private bool _recording;

    public int Capacity => capacity;

    public TimeSpan BaseLatency => baseLatency;

    public TimeSpan Timeout => timeout;

    /// <summary>Calls that timed out, since the start.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    public async ValueTask CallAsync(CancellationToken cancellationToken)
    {
        var inFlight = Interlocked.Increment(ref _inFlight);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            var latency = baseLatency * Math.Max(1, inFlight / (double)capacity);
            if (latency > timeout)
            {
                await Task.Delay(timeout, cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref _failed);
                Record(started, succeeded: false);
                throw new TimeoutException($"The downstream did not answer within {timeout.TotalMilliseconds} ms ({inFlight} calls in flight, capacity {capacity}).");
            }

            await Task.Delay(latency, cancellationToken).ConfigureAwait(false);
            Record(started, succeeded: true);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>Starts recording calls (after the warm-up).</summary>
    public void StartWindow()
    {
        lock (_lock)
        {
            _recording = true;
        }
    }

    /// <summary>Stops recording; returns the succeeded calls and every call's latency in the window.</summary>
    public (long Succeeded, List<double> LatenciesMs) EndWindow()
    {
        lock (_lock)
        {
            _recording = false;
            return (_succeeded, [.. _latenciesMs]);
        }
    }

    private void Record(long started, bool succeeded)
    {
        var ms = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        lock (_lock)
        {
            if (!_recording)
            {
                return;
            }

            _latenciesMs.Add(ms);
            if (succeeded)
            {
                _succeeded++;
            }
        }
    }
}
