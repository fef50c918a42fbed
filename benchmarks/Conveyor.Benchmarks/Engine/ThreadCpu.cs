using System.Globalization;

namespace Conveyor.Benchmarks.Engine;

/// <summary>
/// CPU time per kind of thread of this process over a span (Linux: each thread's
/// <c>/proc/self/task/*/schedstat</c>, nanoseconds on a CPU, named by its <c>comm</c> with digits
/// dropped, so librdkafka's broker threads or the thread pool's workers add up): where a
/// scenario's CPU goes. Also, over all threads, the time they waited runnable for a core (the
/// run queue, schedstat's second field) and how often they were put on a core (its third), and
/// for the process the share of its CPU spent in the kernel and its minor page faults
/// (<c>/proc/self/stat</c>). Threads that ended during the span are missing from it. Only with
/// <c>CONVEYOR_THREAD_CPU=1</c>: reading every thread's files takes a few milliseconds inside the timed span.
/// </summary>
internal sealed class ThreadCpu
{
    private readonly Dictionary<int, (string Name, long OnCpu, long Waited, long Slices)> _threads;
    private readonly (long MinorFaults, long UserTicks, long KernelTicks) _process;

    private ThreadCpu(Dictionary<int, (string, long, long, long)> threads, (long, long, long) process)
    {
        _threads = threads;
        _process = process;
    }

    public static bool Enabled => Environment.GetEnvironmentVariable("CONVEYOR_THREAD_CPU") == "1";

    public static ThreadCpu Now() => new(Read(), ReadProcess());

    /// <summary>
    /// Microseconds per item by kind of thread from <paramref name="start"/> to this, most first,
    /// then the run-queue wait (µs per item), the times put on a core (per 1,000 items), the
    /// kernel's share of the CPU and minor faults (per 1,000 items); empty where /proc is not there.
    /// </summary>
    public string PerItemSince(ThreadCpu start, int items)
    {
        var spent = new Dictionary<string, long>(StringComparer.Ordinal);
        long waited = 0, slices = 0;
        foreach (var (id, (name, onCpu, wait, slice)) in _threads)
        {
            var before = start._threads.TryGetValue(id, out var then) ? then : (name, 0, 0, 0);
            spent[name] = spent.GetValueOrDefault(name) + (onCpu - before.OnCpu);
            waited += wait - before.Waited;
            slices += slice - before.Slices;
        }

        var byThread = string.Join(", ", spent.Where(s => s.Value > 0).OrderByDescending(s => s.Value)
            .Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Key} {s.Value / 1_000.0 / items:F2}")));
        var user = _process.UserTicks - start._process.UserTicks;
        var kernel = _process.KernelTicks - start._process.KernelTicks;
        return byThread + string.Create(CultureInfo.InvariantCulture,
            $"; run-queue wait {waited / 1_000.0 / items:F2} µs, {slices * 1_000.0 / items:F0} switches-in and {(_process.MinorFaults - start._process.MinorFaults) * 1_000.0 / items:F1} minor faults per 1,000, kernel {(user + kernel > 0 ? kernel / (double)(user + kernel) : 0):P0} of the CPU");
    }

    private static Dictionary<int, (string, long, long, long)> Read()
    {
        var threads = new Dictionary<int, (string, long, long, long)>();
        if (!Directory.Exists("/proc/self/task"))
        {
            return threads;
        }

        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                var id = int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture);
                var name = new string([.. File.ReadAllText(Path.Combine(task, "comm")).Trim().Where(c => !char.IsDigit(c))]).TrimEnd('-', ' ');
                var fields = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ');
                threads[id] = (name, Long(fields[0]), Long(fields[1]), Long(fields[2]));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The thread ended meanwhile.
            }
        }

        return threads;
    }

    /// <summary>minflt, utime and stime of /proc/self/stat (fields 10, 14 and 15; counted after the command's closing parenthesis).</summary>
    private static (long, long, long) ReadProcess()
    {
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (Long(fields[7]), Long(fields[11]), Long(fields[12]));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return default;
        }
    }

    private static long Long(string text) => long.Parse(text.Trim(), CultureInfo.InvariantCulture);
}
