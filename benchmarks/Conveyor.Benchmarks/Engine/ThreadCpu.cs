using System.Globalization;

namespace Conveyor.Benchmarks.Engine;

/// <summary>
/// CPU time per kind of thread of this process over a span (Linux: each thread's
/// <c>/proc/self/task/*/schedstat</c>, nanoseconds on a CPU, named by its <c>comm</c> with digits
/// dropped, so librdkafka's broker threads or the thread pool's workers add up): where a
/// scenario's CPU goes. Threads that ended during the span are missing from it. Only with
/// <c>CONVEYOR_THREAD_CPU=1</c>: reading every thread's files takes a few milliseconds inside the timed span.
/// </summary>
internal sealed class ThreadCpu
{
    private readonly Dictionary<int, (string Name, long Nanoseconds)> _threads;

    private ThreadCpu(Dictionary<int, (string Name, long Nanoseconds)> threads) => _threads = threads;

    public static bool Enabled => Environment.GetEnvironmentVariable("CONVEYOR_THREAD_CPU") == "1";

    public static ThreadCpu Now() => new(Read());

    /// <summary>Microseconds per item by kind of thread from <paramref name="start"/> to this, most first; empty where /proc is not there.</summary>
    public string PerItemSince(ThreadCpu start, int items)
    {
        var spent = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (id, (name, nanoseconds)) in _threads)
        {
            var before = start._threads.TryGetValue(id, out var then) ? then.Nanoseconds : 0;
            spent[name] = spent.GetValueOrDefault(name) + (nanoseconds - before);
        }

        return string.Join(", ", spent.Where(s => s.Value > 0).OrderByDescending(s => s.Value)
            .Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Key} {s.Value / 1_000.0 / items:F2}")));
    }

    private static Dictionary<int, (string, long)> Read()
    {
        var threads = new Dictionary<int, (string, long)>();
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
                var onCpu = long.Parse(File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ')[0], CultureInfo.InvariantCulture);
                threads[id] = (name, onCpu);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The thread ended meanwhile.
            }
        }

        return threads;
    }
}
