using System.Diagnostics;
using System.Globalization;
using Conveyor.Processing;

namespace Conveyor.Cli.Tutorial;

/// <summary>
/// <c>consume --stats</c>: reads the processor's status snapshot (the one the health check and the
/// dashboard read) and prints one summary line per interval.
/// </summary>
internal sealed class LiveStats(Func<ProcessorStatus> status)
{
    private readonly Lock _lock = new();
    private long _lastHandled;
    private long _lastAt = Stopwatch.GetTimestamp();

    /// <summary>Prints a line every <paramref name="interval"/> until cancelled, and a last one then.</summary>
    public async Task PrintAsync(TextWriter output, TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                output.WriteLine(Line());
            }
        }
        catch (OperationCanceledException)
        {
            output.WriteLine(Line());
        }
    }

    /// <summary>
    /// <c>stats: 1234.5 msg/s, processed 5000, in-flight 12, lag 340, retries 7, dead letters 1, limit 64</c>:
    /// the rate since the last line; lag summed over partitions (from librdkafka's statistics, "?" until known).
    /// </summary>
    public string Line()
    {
        var snapshot = status();
        var activity = snapshot.Activity;
        lock (_lock)
        {
            var now = Stopwatch.GetTimestamp();
            var seconds = Stopwatch.GetElapsedTime(_lastAt, now).TotalSeconds;
            var rate = seconds > 0 ? (activity.Handled - _lastHandled) / seconds : 0;
            _lastHandled = activity.Handled;
            _lastAt = now;
            var lag = snapshot.Lag.Count == 0 ? "?" : snapshot.Lag.Values.Sum().ToString(CultureInfo.InvariantCulture);
            return string.Create(CultureInfo.InvariantCulture,
                $"stats: {rate:F1} msg/s, processed {activity.Handled}, in-flight {activity.TotalInFlight}, lag {lag}, retries {activity.Retries}, dead letters {activity.DeadLettered}, limit {snapshot.ConcurrencyLimit}");
        }
    }
}
