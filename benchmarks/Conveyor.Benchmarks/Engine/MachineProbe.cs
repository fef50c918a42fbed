using System.Globalization;

namespace Conveyor.Benchmarks.Engine;

/// <summary>
/// How fast this machine runs a fixed piece of work right now: the calling thread's CPU time
/// (<c>/proc/thread-self/schedstat</c>) for the same arithmetic and the same reads scattered over
/// 8 MiB each time. The work never changes, so a change in its CPU time is the machine's (another
/// tenant on the host's cores and caches), not the code's. With <c>CONVEYOR_THREAD_CPU=1</c> it
/// runs before each counted round, outside the round's span.
/// </summary>
internal static class MachineProbe
{
    private const int Steps = 2_000_000;
    private static readonly int[] Scattered = MakeScattered();

    /// <summary>Runs the work once; its CPU time in milliseconds, or null where /proc is not there.</summary>
    public static double? Milliseconds()
    {
        var before = ThreadOnCpuNanoseconds();
        var index = 0;
        var sum = 0L;
        for (var i = 0; i < Steps; i++)
        {
            index = Scattered[index];
            sum += index ^ i;
        }

        var after = ThreadOnCpuNanoseconds();
        GC.KeepAlive(sum);
        return before is { } b && after is { } a ? (a - b) / 1e6 : null;
    }

    public static string Line() => Milliseconds() is { } ms ? string.Create(CultureInfo.InvariantCulture, $"machine probe {ms:F1} ms") : "";

    /// <summary>The calling thread's CPU time so far in nanoseconds, or null where /proc is not there.</summary>
    public static long? ThreadOnCpuNanoseconds()
    {
        try
        {
            return long.Parse(File.ReadAllText("/proc/thread-self/schedstat").Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A single cycle through 2 Mi slots (8 MiB) in a fixed pseudo-random order.</summary>
    private static int[] MakeScattered()
    {
        const int Size = 1 << 21;
        var order = Enumerable.Range(0, Size).ToArray();
        new Random(23).Shuffle(order);
        var next = new int[Size];
        for (var i = 0; i < Size; i++)
        {
            next[order[i]] = order[(i + 1) % Size];
        }

        return next;
    }
}
