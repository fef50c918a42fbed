using System.Runtime;

namespace Conveyor.Benchmarks.Engine;

/// <summary>
/// Warm-up rounds before counted ones, until the JIT has settled. One round of each consumer was
/// not enough: traced (<c>CONVEYOR_ROUND_TRACE=1</c>, on a loaded machine), the first no-op
/// engine round after it compiled 581 methods in 1.3 s of JIT time and ran at a third of the
/// later rounds' rate, and every idle-machine run of main showed that first round at 0.26-0.42 of
/// the raw loop while the others were near 1. Tiered compilation with dynamic PGO compiles a hot
/// method up to three times, each step after enough calls; code that runs a few times per
/// processor (its start, its commits) gets there only after several processors.
/// </summary>
internal static class WarmUp
{
    /// <summary>Warm-up pairs at most: on a loaded machine the JIT's background thread may never go quiet.</summary>
    private const int MaxPairs = 5;

    /// <summary>
    /// Runs a raw round and an engine round over the backlog and waits for the JIT to go quiet,
    /// again while the JIT compiled for more than 5 % of either round's time
    /// (<see cref="Throughput.JitSettled"/>), at most 5 pairs. Returns a line saying how many
    /// pairs ran and what the last one compiled.
    /// </summary>
    public static async Task<string> RunAsync(Backlog backlog, RawLoopRunner raw, EngineRunner engine)
    {
        var line = "";
        for (var pair = 1; pair <= MaxPairs; pair++)
        {
            var methods = JitInfo.GetCompiledMethodCount();
            var rawRound = await raw.RunAsync("warm-up", backlog, backlog.Messages).ConfigureAwait(false);
            var engineRound = await engine.RunAsync("warm-up", backlog, backlog.Messages).ConfigureAwait(false);
            methods = JitInfo.GetCompiledMethodCount() - methods;
            var quiet = await JitQuiet.WaitAsync().ConfigureAwait(false);
            line = $"{pair} warm-up pair(s); the last compiled {methods} methods, {rawRound.Jit.TotalMilliseconds:F0} and {engineRound.Jit.TotalMilliseconds:F0} ms of JIT "
                + $"in rounds of {rawRound.Elapsed.TotalMilliseconds:F0} and {engineRound.Elapsed.TotalMilliseconds:F0} ms, then {quiet} more before the rounds";
            if (rawRound.JitSettled && engineRound.JitSettled)
            {
                break;
            }
        }

        return line;
    }
}
