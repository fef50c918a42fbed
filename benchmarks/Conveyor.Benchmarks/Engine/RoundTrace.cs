using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Conveyor.Benchmarks.Engine;

/// <summary>
/// With <c>CONVEYOR_ROUND_TRACE=1</c>: where a round's wall time goes. From the consumer's start
/// (before it subscribes): when the first message came, when every partition had delivered its
/// first, and every 100 ms how many messages were counted and how busy the process was (CPU
/// time ÷ wall time, 2 = both cores). Written to stderr when the round ends.
/// </summary>
internal sealed class RoundTrace : IDisposable
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);
    private readonly string _scenario;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly long[] _firstByPartition;
    private readonly List<(TimeSpan At, int Count, TimeSpan Cpu, int? Buffered)> _samples = [];
    private readonly Timer _timer;
    private readonly (long Methods, TimeSpan Time, int Gen0, int Gen1, int Gen2) _startRuntime = Runtime();
    private int _count;
    private int _partitionsStarted;

    private RoundTrace(string scenario, int partitions)
    {
        _scenario = scenario;
        _firstByPartition = new long[partitions];
        _samples.Add((TimeSpan.Zero, 0, Environment.CpuUsage.TotalTime, null));
        _timer = new Timer(_ => Sample(), null, Step, Step);
    }

    /// <summary>A trace of one round when <c>CONVEYOR_ROUND_TRACE=1</c>, else null.</summary>
    public static RoundTrace? StartIfEnabled(string scenario, int partitions) =>
        Environment.GetEnvironmentVariable("CONVEYOR_ROUND_TRACE") is "1" or "jit" ? new RoundTrace(scenario, partitions) : null;

    private readonly JitListener? _jit = Environment.GetEnvironmentVariable("CONVEYOR_ROUND_TRACE") == "jit" ? new JitListener() : null;

    /// <summary>Messages the engine holds fetched and unfinished (its status, updated twice a second), sampled with the rest; none for a raw loop.</summary>
    public Func<int>? Buffered { get; set; }

    public void Count(int partition)
    {
        Interlocked.Increment(ref _count);
        if (Volatile.Read(ref _firstByPartition[partition]) == 0
            && Interlocked.CompareExchange(ref _firstByPartition[partition], Stopwatch.GetTimestamp(), 0) == 0)
        {
            Interlocked.Increment(ref _partitionsStarted);
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        Sample();
        var firsts = _firstByPartition.Where(t => t != 0).Select(t => Stopwatch.GetElapsedTime(_started, t).TotalMilliseconds).Order().ToArray();
        var line = new StringBuilder().Append(CultureInfo.InvariantCulture, $"[trace] {_scenario}: ");
        if (firsts.Length > 0)
        {
            line.Append(CultureInfo.InvariantCulture, $"first message {firsts[0]:F0} ms after the start; {firsts.Length} of {_firstByPartition.Length} partitions started, ")
                .Append(CultureInfo.InvariantCulture, $"half by {firsts[firsts.Length / 2]:F0} ms, all by {firsts[^1]:F0} ms; ");
        }

        var runtime = Runtime();
        line.Append(CultureInfo.InvariantCulture, $"JIT {runtime.Methods - _startRuntime.Methods} methods in {(runtime.Time - _startRuntime.Time).TotalMilliseconds:F0} ms, ")
            .Append(CultureInfo.InvariantCulture, $"GCs {runtime.Gen0 - _startRuntime.Gen0}/{runtime.Gen1 - _startRuntime.Gen1}/{runtime.Gen2 - _startRuntime.Gen2}; ")
            .Append("every 100 ms (messages, cores busy):");
        lock (_samples)
        {
            for (var i = 1; i < _samples.Count; i++)
            {
                var (at, count, cpu, buffered) = _samples[i];
                var (lastAt, lastCount, lastCpu, _) = _samples[i - 1];
                line.Append(CultureInfo.InvariantCulture, $" {at.TotalMilliseconds:F0}:{count - lastCount}/{(cpu - lastCpu) / (at - lastAt):F2}");
                if (buffered is not null)
                {
                    line.Append(CultureInfo.InvariantCulture, $"/{buffered}");
                }
            }
        }

        Console.Error.WriteLine(line.ToString());
        if (_jit is not null)
        {
            _jit.Dispose();
            foreach (var method in _jit.Methods)
            {
                Console.Error.WriteLine($"[jit] {_scenario}: {method}");
            }
        }
    }

    private static (long Methods, TimeSpan Time, int Gen0, int Gen1, int Gen2) Runtime() =>
        (System.Runtime.JitInfo.GetCompiledMethodCount(), System.Runtime.JitInfo.GetCompilationTime(), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));

    private void Sample()
    {
        lock (_samples)
        {
            _samples.Add((Stopwatch.GetElapsedTime(_started), Volatile.Read(ref _count), Environment.CpuUsage.TotalTime, Buffered?.Invoke()));
        }
    }
}
