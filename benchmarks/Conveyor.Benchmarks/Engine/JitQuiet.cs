using System.Diagnostics;
using System.Runtime;

namespace Conveyor.Benchmarks.Engine;

/// <summary>
/// Waits after a warm-up until the JIT has compiled nothing for a moment. Tiered compilation
/// recompiles hot methods on a background thread, and on a loaded machine that thread lags: in a
/// scale run right after its warm-up, 30 % of the process CPU during an engine round was the
/// JIT's, counted as the engine's CPU per message (the engine has far more code to recompile than
/// the raw loop).
/// </summary>
internal static class JitQuiet
{
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan AtMost = TimeSpan.FromSeconds(10);

    /// <summary>Returns once no method was compiled for 0.5 s, or after 10 s; says how many were compiled meanwhile.</summary>
    public static async Task<long> WaitAsync()
    {
        var started = Stopwatch.GetTimestamp();
        var first = JitInfo.GetCompiledMethodCount();
        var count = first;
        var since = started;
        while (Stopwatch.GetElapsedTime(started) < AtMost)
        {
            await Task.Delay(50).ConfigureAwait(false);
            var now = JitInfo.GetCompiledMethodCount();
            if (now != count)
            {
                count = now;
                since = Stopwatch.GetTimestamp();
            }
            else if (Stopwatch.GetElapsedTime(since) >= Quiet)
            {
                break;
            }
        }

        return count - first;
    }
}
