using System.Diagnostics;
using Conveyor.Processing.Engine;
using Conveyor.Simulation.Pipelines;

namespace Conveyor.Simulation;

/// <summary>
/// The exploration run outside CI: <c>dotnet run -c Release --project tests/Conveyor.Simulation -- --seeds 100000 [--from N] [--members 1-3] [--bug Name] [--pipeline Name] [--trace SEED] [--hash SEED] [--large] [--list] [--idle-commits]</c>.
/// Prints each failing seed with its shrunk schedule and trace (the first five), or with
/// <c>--list</c> one line per failing seed, every one of them and nothing shrunk; exit code 1 when any failed.
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
        int? hash = null;
        int? members = null;
        var large = args.Contains("--large");
        var churn = args.Contains("--churn");
        var fairness = args.Contains("--fairness");
        var fastKills = args.Contains("--fast-kills");
        var list = args.Contains("--list");
        var idleCommits = args.Contains("--idle-commits");
        if (args.Contains("--shrink-report"))
        {
            ShrinkReport();
            return 0;
        }

        args = [.. args.Where(a => a is not "--large" and not "--churn" and not "--fairness" and not "--fast-kills" and not "--list" and not "--idle-commits")];
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
                case "--members" when int.TryParse(args[i + 1], out var m) && m is >= 1 and <= 3:
                    members = m;
                    break;
                case "--hash" when int.TryParse(args[i + 1], out var h):
                    hash = h;
                    break;
                case "--trace" when int.TryParse(args[i + 1], out var t):
                    trace = t;
                    break;
                default:
                    Console.Error.WriteLine($"Unknown option '{args[i]} {args[i + 1]}'. Use --seeds N, --from N, --members 1-3, --hash SEED, --bug {string.Join("|", Enum.GetNames<ReintroducedBugs>())}, --pipeline {string.Join("|", Enum.GetNames<Pipeline>())} or --trace SEED (and --large for bigger schedules, --churn for churn schedules, --fairness for fairness schedules, --fast-kills with --churn for kills every 0.4-0.8 s, --list for one line per failing seed, --idle-commits to commit quiet partitions as the engine's default IdleCommitDelay does).");
                    return 2;
            }
        }

        Schedule Generate(int seed) => (churn ? ScheduleGenerator.Churn(seed, fastKills, pipeline == Pipeline.RetryTopics) : fairness ? ScheduleGenerator.Fairness(seed) : ScheduleGenerator.For(seed, large, pipeline, members)) with { IdleCommits = idleCommits };

        if (hash is { } hashed)
        {
            // One run's fingerprint (a hash of its trace): two processes given the same seed print the same line.
            Console.WriteLine(RunFingerprint.Of(SimWorld.Run(Generate(hashed), bugs, trace: true)));
            return 0;
        }

        if (trace is { } seed)
        {
            var result = SimWorld.Run(Generate(seed), bugs, trace: true);
            Console.WriteLine(result.Trace);
            Console.WriteLine(result.Violation ?? "no violation");
            return result.Failed ? 1 : 0;
        }

        var watch = Stopwatch.StartNew();
        var failed = 0;
        long events = 0;
        long handovers = 0;
        var longestWait = TimeSpan.Zero;
        var liveness = new LivenessTally();
        for (var s = from; s < from + seeds; s++)
        {
            var result = SimWorld.Run(Generate(s), bugs);
            events += result.Events;
            handovers += result.Handovers;
            longestWait = result.LongestWait > longestWait ? result.LongestWait : longestWait;
            liveness.Add(result);
            if (result.Failed && list)
            {
                failed++;
                Console.WriteLine($"seed {s} fails ({result.Kind}, {result.Simulated.TotalSeconds:F0} simulated s): {result.Violation}");
            }
            else if (result.Failed)
            {
                failed++;
                Console.WriteLine(Reproduction.Describe(Shrinker.Shrink(result, bugs)));
                if (failed >= 5)
                {
                    break;
                }
            }
        }

        Console.WriteLine($"{seeds} schedules in {watch.Elapsed.TotalSeconds:F1} s ({seeds / watch.Elapsed.TotalSeconds:F0}/s, {events / seeds} events and {handovers / seeds} thread handovers each{(fairness ? $", longest wait of a ready partition {longestWait.TotalSeconds:F1} s" : string.Empty)}), {failed} failed");
        Console.WriteLine(liveness.Describe());
        return failed > 0 ? 1 : 0;
    }

    /// <summary>
    /// For each re-introduced bug: the first seed that finds it, and its schedule's size before and
    /// after shrinking, with per-purpose random streams and with the one stream used before.
    /// </summary>
    private static void ShrinkReport()
    {
        foreach (var bug in new[] { ReintroducedBugs.PauseKeptAcrossAssign, ReintroducedBugs.LaneByPartitionName, ReintroducedBugs.RevokeTimeoutCommitsPastRunning, ReintroducedBugs.CommitOnLost, ReintroducedBugs.RestoredSkipsKeepCommit })
        {
            foreach (var oneStream in new[] { true, false })
            {
                for (var seed = 0; seed < 10_000; seed++)
                {
                    var result = SimWorld.Run(ScheduleGenerator.For(seed), bug, oneStream: oneStream);
                    if (result.Failed)
                    {
                        var shrunk = Shrinker.Shrink(result, bug, budget: 300, oneStream: oneStream);
                        Console.WriteLine($"{bug} ({(oneStream ? "one stream" : "streams")}): seed {seed}, {result.Kind}: {result.Schedule.Faults.Count} faults and {result.Schedule.InitialMessages.Sum()} messages shrunk to {shrunk.Schedule.Faults.Count} faults and {shrunk.Schedule.InitialMessages.Sum()} messages");
                        break;
                    }
                }
            }
        }
    }
}
