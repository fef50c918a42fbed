using System.Diagnostics;
using Conveyor.Processing.Engine;
using Conveyor.Simulation.Pipelines;

namespace Conveyor.Simulation;

/// <summary>
/// The exploration run outside CI: <c>dotnet run -c Release --project tests/Conveyor.Simulation -- --seeds 100000 [--from N] [--bug Name] [--pipeline Name] [--trace SEED] [--large]</c>.
/// Prints each failing seed with its shrunk schedule and trace; exit code 1 when any failed.
/// </summary>
internal static class Program
{
    public static int Main(string[] args)
    {
        var seeds = 10_000;
        var from = 0;
        var bugs = ReintroducedBugs.None;
        int? trace = null;
        Pipeline? pipeline = null;
        var large = args.Contains("--large");
        args = [.. args.Where(a => a != "--large")];
        for (var i = 0; i + 1 < args.Length; i += 2)
        {
            switch (args[i])
            {
                case "--seeds" when int.TryParse(args[i + 1], out var n):
                    seeds = n;
                    break;
                case "--from" when int.TryParse(args[i + 1], out var f):
                    from = f;
                    break;
                case "--bug" when Enum.TryParse<ReintroducedBugs>(args[i + 1], out var b):
                    bugs = b;
                    break;
                case "--pipeline" when Enum.TryParse<Pipeline>(args[i + 1], out var k):
                    pipeline = k;
                    break;
                case "--trace" when int.TryParse(args[i + 1], out var t):
                    trace = t;
                    break;
                default:
                    Console.Error.WriteLine($"Unknown option '{args[i]} {args[i + 1]}'. Use --seeds N, --from N, --bug {string.Join("|", Enum.GetNames<ReintroducedBugs>())} --pipeline {string.Join("|", Enum.GetNames<Pipeline>())} or --trace SEED (and --large for bigger schedules).");
                    return 2;
            }
        }

        Schedule For(int seed) => ScheduleGenerator.For(seed, large, pipeline);

        if (trace is { } seed)
        {
            var result = SimWorld.Run(For(seed), bugs, trace: true);
            Console.WriteLine(result.Trace);
            Console.WriteLine(result.Violation ?? "no violation");
            return result.Failed ? 1 : 0;
        }

        var watch = Stopwatch.StartNew();
        var failed = 0;
        long events = 0;
        for (var s = from; s < from + seeds; s++)
        {
            var result = SimWorld.Run(For(s), bugs);
            events += result.Events;
            if (result.Failed)
            {
                failed++;
                Console.WriteLine(Reproduction.Describe(Shrinker.Shrink(result, bugs)));
                if (failed >= 5)
                {
                    break;
                }
            }
        }

        Console.WriteLine($"{seeds} schedules in {watch.Elapsed.TotalSeconds:F1} s ({seeds / watch.Elapsed.TotalSeconds:F0}/s, {events / seeds} events each), {failed} failed");
        return failed > 0 ? 1 : 0;
    }
}
