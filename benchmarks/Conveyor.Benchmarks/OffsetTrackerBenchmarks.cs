using BenchmarkDotNet.Attributes;
using Conveyor.Processing.Offsets;

namespace Conveyor.Benchmarks;

/// <summary>
/// Tracking and completing 10,000 offsets of one partition in a shuffled order, as concurrent
/// handlers finish them. Baseline: the obvious tracker, a SortedSet of unfinished offsets.
/// </summary>
[MemoryDiagnoser]
[ShortRunJob]
public class OffsetTrackerBenchmarks
{
    private const int Count = 10_000;
    private long[] _completionOrder = [];
    private PartitionOffsetTracker _tracker = new();

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        _completionOrder = Enumerable.Range(0, Count).Select(i => (long)i).OrderBy(_ => random.Next()).ToArray();

        // Grow the ring buffer once, as a running partition would have.
        for (var i = 0; i < Count; i++)
        {
            _tracker.Track(i);
        }

        _tracker.Reset();
    }

    [Benchmark(Baseline = true)]
    public long SortedSetOfUnfinished()
    {
        var unfinished = new SortedSet<long>();
        long last = -1;
        for (long i = 0; i < Count; i++)
        {
            unfinished.Add(i);
            last = i;
        }

        long committable = 0;
        foreach (var offset in _completionOrder)
        {
            unfinished.Remove(offset);
            committable = unfinished.Count > 0 ? unfinished.Min : last + 1;
        }

        return committable;
    }

    [Benchmark]
    public long PartitionOffsetTracker()
    {
        _tracker.Reset();
        for (long i = 0; i < Count; i++)
        {
            _tracker.Track(i);
        }

        long committable = 0;
        foreach (var offset in _completionOrder)
        {
            _tracker.Complete(offset);
            committable = _tracker.Committable ?? 0;
        }

        return committable;
    }
}
