using System.Diagnostics;

namespace Conveyor.Benchmarks.Engine;

/// <summary>
/// The I/O-bound handler, <c>await Task.Delay(ms)</c>, timing each call: the ideal throughput of
/// N concurrent handlers is N ÷ their mean duration, which is longer than the nominal delay
/// (timer resolution), so it is measured in the same run.
/// </summary>
internal sealed class DelayHandler
{
    private readonly int _milliseconds;
    private long _ticks;
    private long _calls;

    public DelayHandler(int milliseconds)
    {
        _milliseconds = milliseconds;
    }

    public TimeSpan Mean => _calls == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(0, Interlocked.Read(ref _ticks) / Interlocked.Read(ref _calls));

    public async ValueTask HandleAsync(CancellationToken cancellationToken = default)
    {
        var start = Stopwatch.GetTimestamp();
        await Task.Delay(_milliseconds, cancellationToken).ConfigureAwait(false);
        Interlocked.Add(ref _ticks, Stopwatch.GetTimestamp() - start);
        Interlocked.Increment(ref _calls);
    }

    /// <summary>
    /// <paramref name="concurrency"/> loops calling the handler back to back for a while, with no
    /// Kafka at all: the throughput a perfect engine would reach, measured.
    /// </summary>
    public static async Task<(Throughput Throughput, TimeSpan Mean)> CalibrateAsync(int milliseconds, int concurrency, TimeSpan duration)
    {
        var handler = new DelayHandler(milliseconds);
        var start = Stopwatch.GetTimestamp();
        var cpu = Environment.CpuUsage.TotalTime;
        var calls = 0;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async _ =>
        {
            while (Stopwatch.GetElapsedTime(start) < duration)
            {
                await handler.HandleAsync().ConfigureAwait(false);
                Interlocked.Increment(ref calls);
            }
        })).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(start);
        return (new Throughput("delay only (no Kafka)", calls + 1, elapsed, Environment.CpuUsage.TotalTime - cpu), handler.Mean);
    }
}
