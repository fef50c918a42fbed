using Conveyor.Processing.Engine;

namespace Conveyor.Simulation.Tests;

/// <summary>
/// The checker's progress bound (30 s) is above the engine's stall timeout in a simulation (10 s,
/// checked each second), so the stall watchdog can decide a run: a partition the client holds
/// without the engine knowing (the pause kept across an eager re-assignment, put back) is found
/// and resumed by the watchdog, and the run passes; with the rescue switched off it stalls.
/// </summary>
public sealed class WatchdogRescueTests
{
    [Theory]
    [InlineData(10)] // seed 1 was here: with the engine's timers on the monotonic clock, no pause is kept across its re-assignment
    [InlineData(2)] // seed 5 was here: its full buffer no longer pauses every partition, so no pause is kept across its re-assignment
    public void The_watchdog_resuming_a_partition_held_without_the_engine_knowing_is_what_makes_the_run_pass(int seed)
    {
        var schedule = ScheduleGenerator.For(seed);

        var rescued = SimWorld.Run(schedule, ReintroducedBugs.PauseKeptAcrossAssign, trace: true, rescueAllowed: true);
        var unrescued = SimWorld.Run(schedule, ReintroducedBugs.PauseKeptAcrossAssign | ReintroducedBugs.NoStallRescue, rescueAllowed: true);

        Assert.Null(rescued.Violation);
        Assert.Contains("watchdog: p", rescued.Trace, StringComparison.Ordinal);
        Assert.Equal("stall", unrescued.Kind);
    }

    [Fact]
    public void The_progress_bound_leaves_the_watchdog_time_to_act() =>
        Assert.True(InvariantChecker.ProgressBound > SimEngine.StallTimeout + TimeSpan.FromSeconds(2), "the watchdog reports after its timeout and at most one round later");
}
