using System.Diagnostics;
using System.Runtime;

namespace Conveyor.Benchmarks.Engine;

/// <summary>
/// Counts handled messages from any thread and times the run from the first message to the
/// target-th, so group joins and shutdown stay out of the figure.
/// </summary>
internal sealed class ThroughputMeter
{
    private readonly int _target;
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TimeSpan _firstCpu;
    private TimeSpan _lastCpu;
    private (long Allocated, TimeSpan Paused) _firstGc;
    private (long Allocated, TimeSpan Paused) _lastGc;
    private TimeSpan _firstJit;
    private TimeSpan _lastJit;
    private long _first;
    private long _last;
    private int _count;
    private ThreadCpu? _firstThreads;
    private ThreadCpu? _lastThreads;
    private long _firstPoolItems;
    private long _lastPoolItems;
    private (long At, TimeSpan Cpu) _steadyStart;
    private (long At, TimeSpan Cpu) _steadyEnd;

    public ThroughputMeter(int target)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(target, 2);
        _target = target;
    }

    /// <summary>Also reads each thread's CPU time at the first and the target-th message (<see cref="ThreadCpu"/>).</summary>
    public bool ByThread { get; init; }

    /// <summary>
    /// Bytes the engine allocates per count only because the probe that counts listens (a forwarding
    /// observer's event arguments): kept out of <see cref="Throughput.Allocated"/> and reported apart,
    /// so the figure is the engine's own and the probe's part stays visible.
    /// </summary>
    public long ProbeBytesPerCount { get; set; }

    /// <summary>Microseconds per message by kind of thread over the span, once reached; null unless <see cref="ByThread"/>.</summary>
    public string? ThreadsPerMessage => _lastThreads is { } last && _firstThreads is { } first
        ? $"{last.PerItemSince(first, _target - 1)}; thread-pool work items per message {(_lastPoolItems - _firstPoolItems) / (double)(_target - 1):F3}"
        : null;

    /// <summary>Completes when the target is reached.</summary>
    public Task Reached => _reached.Task;

    public bool IsDone => Volatile.Read(ref _count) >= _target;

    /// <summary>Counts one message; true while the target is not yet reached.</summary>
    public bool Count()
    {
        var count = Interlocked.Increment(ref _count);
        if (count == 1)
        {
            Volatile.Write(ref _first, Stopwatch.GetTimestamp());
            _firstCpu = Environment.CpuUsage.TotalTime;
            _firstGc = (GC.GetTotalAllocatedBytes(), GC.GetTotalPauseDuration());
            _firstJit = JitInfo.GetCompilationTime();
            _firstThreads = ByThread ? ThreadCpu.Now() : null;
            _firstPoolItems = ThreadPool.CompletedWorkItemCount;
        }
        else if (count == SteadyFrom)
        {
            _steadyStart = (Stopwatch.GetTimestamp(), Environment.CpuUsage.TotalTime);
        }
        else if (count == SteadyTo)
        {
            _steadyEnd = (Stopwatch.GetTimestamp(), Environment.CpuUsage.TotalTime);
        }

        if (count == _target)
        {
            Volatile.Write(ref _last, Stopwatch.GetTimestamp());
            _lastCpu = Environment.CpuUsage.TotalTime;
            _lastGc = (GC.GetTotalAllocatedBytes(), GC.GetTotalPauseDuration());
            _lastJit = JitInfo.GetCompilationTime();
            _lastThreads = ByThread ? ThreadCpu.Now() : null;
            _lastPoolItems = ThreadPool.CompletedWorkItemCount;
            _reached.TrySetResult();
        }

        return count < _target;
    }

    /// <summary>The count that opens the steady window: the end of the first tenth.</summary>
    private int SteadyFrom => Math.Max(2, _target / 10);

    /// <summary>The count that closes the steady window: the start of the last tenth.</summary>
    private int SteadyTo => Math.Max(SteadyFrom + 1, _target - (_target / 10));

    /// <summary>The result once <see cref="Reached"/> completed.</summary>
    public Throughput Result(string scenario) =>
        new(scenario, _target, Stopwatch.GetElapsedTime(Volatile.Read(ref _first), Volatile.Read(ref _last)), _lastCpu - _firstCpu)
        {
            Allocated = _lastGc.Allocated - _firstGc.Allocated - ProbeBytesPerCount * (_target - 1),
            ProbeAllocated = ProbeBytesPerCount * (_target - 1),
            GcPaused = _lastGc.Paused - _firstGc.Paused,
            Jit = _lastJit - _firstJit,
            Threads = ThreadsPerMessage,
            Steady = _steadyEnd.At == 0 ? null : new SteadyWindow(SteadyTo - SteadyFrom, Stopwatch.GetElapsedTime(_steadyStart.At, _steadyEnd.At), _steadyEnd.Cpu - _steadyStart.Cpu),
        };
}

/// <summary>
/// Messages handled in a time (between the first and the last of them), and the CPU time the
/// whole process (embedded broker included) used meanwhile: steadier than throughput on a busy machine.
/// </summary>
internal sealed record Throughput(string Scenario, int Messages, TimeSpan Elapsed, TimeSpan Cpu)
{
    /// <summary>Partitions paused by the engine's back-pressure during the run (engine runs only).</summary>
    public int Pauses { get; init; }

    /// <summary>
    /// Bytes the whole process allocated on the managed heap meanwhile (<c>GC.GetTotalAllocatedBytes</c>),
    /// less <see cref="ProbeAllocated"/>.
    /// </summary>
    public long Allocated { get; init; }

    /// <summary>Bytes allocated meanwhile only because the benchmark's probe listened (<see cref="ThroughputMeter.ProbeBytesPerCount"/>).</summary>
    public long ProbeAllocated { get; init; }

    /// <summary>Time the garbage collector paused the process meanwhile (<c>GC.GetTotalPauseDuration</c>).</summary>
    public TimeSpan GcPaused { get; init; }

    /// <summary>
    /// Time the JIT spent compiling meanwhile (<c>JitInfo.GetCompilationTime</c>, any thread): tiered
    /// recompilation still going on in a counted round is charged to it, in CPU and in wall time.
    /// </summary>
    public TimeSpan Jit { get; init; }

    /// <summary>Whether the JIT compiled for less than 5 % of the time measured: more weighs on the figures of a 2-core machine.</summary>
    public bool JitSettled => Jit < Elapsed * 0.05;

    /// <summary>CPU microseconds per message by kind of thread (<see cref="ThreadCpu"/>), when measured.</summary>
    public string? Threads { get; init; }

    public double AllocatedBytesPerMessage => Allocated / (double)(Messages - 1);

    public double ProbeBytesPerMessage => ProbeAllocated / (double)(Messages - 1);

    public double PerSecond => (Messages - 1) / Elapsed.TotalSeconds;

    public double CpuMicrosecondsPerMessage => Cpu.TotalMicroseconds / (Messages - 1);

    /// <summary>The middle eight tenths of the span (from the tenth's message to the ninth tenth's): what the round costs away from its start and its end.</summary>
    public SteadyWindow? Steady { get; init; }
}

/// <summary>Messages counted, wall time and process CPU time over the middle of a round (<see cref="Throughput.Steady"/>).</summary>
internal sealed record SteadyWindow(int Messages, TimeSpan Elapsed, TimeSpan Cpu)
{
    public double CpuMicrosecondsPerMessage => Cpu.TotalMicroseconds / Messages;

    public double PerSecond => Messages / Elapsed.TotalSeconds;
}
