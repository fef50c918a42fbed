using Conveyor.Processing.Engine;

namespace Conveyor.Simulation.Tests;

/// <summary>
/// The rules the simulator's tests state, each in one place: every schedule of a set keeps every
/// invariant (a failure shows its shrunk reproduction); and every re-introduced bug
/// (<see cref="ReintroducedBugs"/>) fails a schedule with its switch on, in one of the ways the bug
/// is known to fail, that passes with it off, so a finding is the bug's, not the schedule's.
/// </summary>
internal static class SimulationRules
{
    /// <summary>Runs <paramref name="schedule"/> with the bug and without: it must fail as one of <paramref name="kinds"/> says, then pass.</summary>
    public static SimulationResult AssertOnlyTheBugFails(Schedule schedule, ReintroducedBugs bug, params string?[] kinds)
    {
        var result = SimWorld.Run(schedule, bug);

        Assert.True(result.Failed, $"{bug} did not fail the schedule");
        Assert.Contains(result.Kind, kinds);
        Assert.False(SimWorld.Run(schedule).Failed, "the schedule passes without the bug");
        return result;
    }

    /// <summary>Runs every schedule without a bug; the first that fails ends the test with its shrunk reproduction.</summary>
    public static void AssertEveryScheduleKeepsTheInvariants(IEnumerable<Schedule> schedules, int shrinkBudget = 300)
    {
        foreach (var schedule in schedules)
        {
            var result = SimWorld.Run(schedule);
            if (result.Failed)
            {
                Assert.Fail(Reproduction.Describe(Shrinker.Shrink(result, ReintroducedBugs.None, shrinkBudget)));
            }
        }
    }

    /// <summary>The first of <paramref name="seeds"/> schedules that fails with the bug, and how; null when none does.</summary>
    public static (int Seed, SimulationResult Result)? FirstFailing(int seeds, Func<int, Schedule> schedule, ReintroducedBugs bug)
    {
        for (var seed = 0; seed < seeds; seed++)
        {
            var result = SimWorld.Run(schedule(seed), bug);
            if (result.Failed)
            {
                return (seed, result);
            }
        }

        return null;
    }
}
