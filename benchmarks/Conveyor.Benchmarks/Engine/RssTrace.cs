using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Conveyor.Benchmarks.Engine;

/// <summary>
/// With <c>CONVEYOR_RSS_TRACE=1</c>: where an RSS probe's memory goes. Every 20 ms the child's
/// resident set, the managed heap (committed, and allocated), the collections so far, threads and
/// glibc's <c>malloc</c> in use (librdkafka's fetched messages, the runtime's native parts), and
/// each collection's promoted bytes and generation sizes; written to stderr when the probe ends,
/// with the sample at the peak resident set, the GC's settings and the largest mappings.
/// </summary>
internal sealed class RssTrace : IDisposable
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(20);
    private readonly string _name;
    private readonly long _started = Stopwatch.GetTimestamp();
    private readonly List<Sample> _samples = [];
    private readonly Timer _timer;
    private readonly SortedDictionary<long, string> _collections = [];
    private Dictionary<string, long>? _lastMappings;
    private long _largestStep;
    private string _largestStepText = "none";
    private int _taken;

    private RssTrace(string name)
    {
        _name = name;
        _timer = new Timer(_ => Take(), null, TimeSpan.Zero, Step);
    }

    /// <summary>A trace when <c>CONVEYOR_RSS_TRACE=1</c>, else null.</summary>
    public static RssTrace? StartIfEnabled(string name) =>
        Environment.GetEnvironmentVariable("CONVEYOR_RSS_TRACE") == "1" ? new RssTrace(name) : null;

    public void Dispose()
    {
        _timer.Dispose();
        Take();
        Sample[] samples;
        lock (_samples)
        {
            samples = [.. _samples];
        }

        var peak = samples.MaxBy(s => s.RssKib)!;
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        var text = new StringBuilder().Append(CultureInfo.InvariantCulture, $"[rss] {_name}: peak {peak}; at the end {samples[^1]}; generations after the last collection (#{info.Index}, gen{info.Generation}):");
        for (var generation = 0; generation < info.GenerationInfo.Length; generation++)
        {
            var g = info.GenerationInfo[generation];
            text.Append(CultureInfo.InvariantCulture, $" {generation}: {Mib(g.SizeAfterBytes)} MiB (before {Mib(g.SizeBeforeBytes)})");
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"; committed {Mib(info.TotalCommittedBytes)} MiB, heap {Mib(info.HeapSizeBytes)} MiB, fragmented {Mib(info.FragmentedBytes)} MiB, promoted {Mib(info.PromotedBytes)} MiB");
        text.AppendLine(CultureInfo.InvariantCulture, $"[rss]   GC: {string.Join(", ", GC.GetConfigurationVariables().Select(v => $"{v.Key}={v.Value}"))}");
        foreach (var sample in samples.Where((_, i) => i % 10 == 0))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"[rss]   {sample}");
        }

        lock (_collections)
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"[rss]   collections: {string.Join("; ", _collections.Values)}");
            text.AppendLine(CultureInfo.InvariantCulture, $"[rss]   largest 100 ms growth of the mappings after the start: {_largestStepText}");
        }

        foreach (var line in Mappings().OrderByDescending(m => m.RssKib).Take(25))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"[rss]   map {line.RssKib,8} kB of {line.SizeKib,8} kB {line.Name}");
        }

        Console.Error.Write(text.ToString());
    }

    private static List<(string Name, long SizeKib, long RssKib)> Mappings()
    {
        var result = new List<(string, long, long)>();
        string? name = null;
        long size = 0;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 2)
            {
                continue;
            }

            if (parts[0].Contains('-', StringComparison.Ordinal) && !parts[0].EndsWith(':'))
            {
                // Keyed by where it starts: a growing heap keeps its start, not its end.
                name = parts[0][..parts[0].IndexOf('-', StringComparison.Ordinal)] + " " + parts[1] + " " + (parts.Length > 5 ? parts[5] : "[anon]");
            }
            else if (parts[0] == "Size:")
            {
                size = long.Parse(parts[1], CultureInfo.InvariantCulture);
            }
            else if (parts[0] == "Rss:" && name is not null)
            {
                result.Add((name, size, long.Parse(parts[1], CultureInfo.InvariantCulture)));
            }
        }

        return result;
    }

    private void Take()
    {
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        if (info.Index > 0)
        {
            lock (_collections)
            {
                _collections[info.Index] = string.Create(CultureInfo.InvariantCulture, $"#{info.Index} gen{info.Generation}: promoted {Mib(info.PromotedBytes)}, after {string.Join("/", info.GenerationInfo.ToArray().Select(g => Mib(g.SizeAfterBytes)))}, committed {Mib(info.TotalCommittedBytes)}");
            }
        }

        if (_taken++ % 5 == 0)
        {
            StepMappings();
        }

        using var process = Process.GetCurrentProcess();
        var sample = new Sample(
            Stopwatch.GetElapsedTime(_started),
            RssProbe.ReadStatusKib("VmRSS"),
            info.TotalCommittedBytes,
            GC.GetTotalMemory(false),
            GC.CollectionCount(0),
            GC.CollectionCount(1),
            GC.CollectionCount(2),
            process.Threads.Count,
            MallocInUse());
        lock (_samples)
        {
            _samples.Add(sample);
        }
    }

    // Every 100 ms: which mappings grew most since the last look, kept for the largest growth seen
    // after the first collections (a jump of the resident set that neither the managed heap nor
    // malloc explains).
    private void StepMappings()
    {
        var now = Mappings().GroupBy(m => m.Name).ToDictionary(g => g.Key, g => g.Sum(m => m.RssKib));
        lock (_collections)
        {
            if (_lastMappings is { } last)
            {
                var deltas = now.Select(m => (m.Key, Delta: m.Value - last.GetValueOrDefault(m.Key))).Where(d => d.Delta != 0).OrderByDescending(d => d.Delta).ToList();
                var total = deltas.Sum(d => d.Delta);
                if (total > _largestStep && GC.CollectionCount(0) > 2) // past the start, where the runtime and librdkafka grow anyway
                {
                    _largestStep = total;
                    _largestStepText = string.Create(CultureInfo.InvariantCulture, $"+{total} kB at {Stopwatch.GetElapsedTime(_started).TotalMilliseconds:F0} ms: {string.Join(", ", deltas.Take(6).Select(d => $"{d.Key} {d.Delta:+#;-#} kB"))}");
                }
            }

            _lastMappings = now;
        }
    }

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("F1", CultureInfo.InvariantCulture);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mallinfo2")]
    [System.Runtime.InteropServices.DefaultDllImportSearchPaths(System.Runtime.InteropServices.DllImportSearchPath.SafeDirectories)]
    private static extern MallInfo2 MallInfo();

    // glibc's malloc in use (ordinary blocks and mmapped ones): librdkafka's fetched messages and the runtime's native allocations.
    private static long MallocInUse()
    {
        var info = MallInfo();
        return (long)(info.Uordblks + info.Hblkhd);
    }

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private readonly struct MallInfo2
    {
        public readonly nuint Arena;
        public readonly nuint Ordblks;
        public readonly nuint Smblks;
        public readonly nuint Hblks;
        public readonly nuint Hblkhd;
        public readonly nuint Usmblks;
        public readonly nuint Fsmblks;
        public readonly nuint Uordblks;
        public readonly nuint Fordblks;
        public readonly nuint Keepcost;
    }

    private sealed record Sample(TimeSpan At, long RssKib, long Committed, long Heap, int Gen0, int Gen1, int Gen2, int Threads, long Malloc)
    {
        public override string ToString() => string.Create(
            CultureInfo.InvariantCulture,
            $"{At.TotalMilliseconds:F0} ms: RSS {RssKib / 1024.0:F1} MiB, GC committed {Mib(Committed)} MiB, heap {Mib(Heap)} MiB, collections {Gen0}/{Gen1}/{Gen2}, {Threads} threads, malloc in use {Mib(Malloc)} MiB");
    }
}
