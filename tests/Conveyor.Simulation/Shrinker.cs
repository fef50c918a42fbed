using Conveyor.Processing.Engine;

namespace Conveyor.Simulation;

/// <summary>
/// Makes a failing schedule as small as it goes: removes faults (halves, then one at a time) and
/// trims the first messages while the run still fails with the same kind of violation; then runs
/// the result once more with its trace kept. Each purpose draws from its own random stream
/// (<see cref="SimRandom"/>), so removing a fault leaves the other choices of the run as they were.
/// </summary>
internal static class Shrinker
{
    /// <param name="failing">The failing run.</param>
    /// <param name="bugs">The bugs it ran with.</param>
    /// <param name="budget">At most this many runs.</param>
    /// <param name="oneStream">Run the candidates with one random stream for everything, as before per-purpose streams (to compare).</param>
    public static SimulationResult Shrink(SimulationResult failing, ReintroducedBugs bugs, int budget = 2_000, bool oneStream = false)
    {
        var kind = failing.Kind;
        var schedule = failing.Schedule;
        var runs = 0;
        bool StillFails(Schedule candidate)
        {
            runs++;
            var result = SimWorld.Run(candidate, bugs, oneStream: oneStream);
            return result.Failed && result.Kind == kind;
        }

        var changed = true;
        while (changed && runs < budget)
        {
            changed = false;
            for (var chunk = Math.Max(1, schedule.Faults.Count / 2); chunk >= 1 && runs < budget; chunk /= 2)
            {
                for (var start = 0; start + chunk <= schedule.Faults.Count && runs < budget;)
                {
                    var candidate = schedule with { Faults = [.. schedule.Faults.Take(start), .. schedule.Faults.Skip(start + chunk)] };
                    if (StillFails(candidate))
                    {
                        schedule = candidate;
                        changed = true;
                    }
                    else
                    {
                        start += chunk;
                    }
                }
            }

            for (var p = 0; p < schedule.Partitions && runs < budget; p++)
            {
                while (schedule.InitialMessages[p] > 1 && runs < budget)
                {
                    var fewer = (int[])schedule.InitialMessages.Clone();
                    fewer[p] = Math.Max(1, fewer[p] / 2);
                    var candidate = schedule with { InitialMessages = fewer };
                    if (!StillFails(candidate))
                    {
                        break;
                    }

                    schedule = candidate;
                    changed = true;
                }
            }
        }

        return SimWorld.Run(schedule, bugs, trace: true, oneStream: oneStream);
    }
}

/// <summary>A failure as a reproduction: the seed, the shrunk schedule, the violation and the trace.</summary>
internal static class Reproduction
{
    public static string Describe(SimulationResult result) =>
        $"""
        FAILED {result.Schedule}
        violation ({result.Kind}): {result.Violation}
        schedule:
          {string.Join("\n  ", result.Schedule.Faults)}
        trace:
        {result.Trace}
        """;
}
