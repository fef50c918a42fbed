using Xunit.Abstractions;

namespace Conveyor.Simulation.Tests;

/// <summary>
/// The engine's default commits a partition that went quiet after <c>IdleCommitDelay</c> (100 ms);
/// the CI seed set runs without it so that its pinned seeds keep their schedules. These seeds run
/// the same generator with quiet partitions committed, every invariant checked at every step.
/// </summary>
public sealed class QuietCommitSeedTests(ITestOutputHelper output)
{
    private const int Seeds = 2_000;

    [Fact]
    public void Schedules_that_commit_quiet_partitions_keep_every_invariant()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var schedules = Enumerable.Range(0, Seeds).Select(seed => ScheduleGenerator.For(seed) with { IdleCommits = true }).ToList();
        SimulationRules.AssertEveryScheduleKeepsTheInvariants(schedules);
        output.WriteLine($"{Seeds} schedules in {watch.Elapsed.TotalSeconds:F1} s");
    }
}
