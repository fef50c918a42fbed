using Conveyor.Processing.Engine;
using Xunit.Abstractions;

namespace Conveyor.Simulation.Tests;

/// <summary>
/// Progress under churn: on churn schedules (the process killed every 1-3 s, more often than the
/// 5 s commit interval) every partition commits something in every 15 s window, in both
/// completion modes. Without the run-ahead bound's early commit (<see cref="ReintroducedBugs.NoRunAheadBound"/>)
/// nothing is committed between kills and the partition is handled again and again: the
/// livelock measured on a real broker with watermark commits, and (found by these schedules) the
/// same with persisted completions, which never committed early before.
/// </summary>
public sealed class ChurnTests(ITestOutputHelper output)
{
    private const int Seeds = 100;

    [Fact]
    public void Partitions_keep_progressing_under_churn_in_both_completion_modes()
    {
        var schedules = Enumerable.Range(0, Seeds).Select(seed => ScheduleGenerator.Churn(seed)).ToList();

        SimulationRules.AssertEveryScheduleKeepsTheInvariants(schedules, shrinkBudget: 100);

        Assert.Equal(2, schedules.Select(s => s.PersistCompletions).Distinct().Count());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Without_the_early_commit_a_partition_livelocks_under_churn(bool persisted)
    {
        for (var seed = 0; seed < Seeds; seed++)
        {
            var schedule = ScheduleGenerator.Churn(seed);
            if (schedule.PersistCompletions != persisted)
            {
                continue;
            }

            var result = SimWorld.Run(schedule, ReintroducedBugs.NoRunAheadBound);
            if (!result.Failed)
            {
                continue;
            }

            Assert.Equal("livelock", result.Kind);
            Assert.False(SimWorld.Run(schedule).Failed, "the same schedule progresses with the early commit");
            output.WriteLine($"completions {(persisted ? "persisted" : "offset only")}: livelock without the early commit at churn seed {seed}: {result.Violation}");
            return;
        }

        Assert.Fail($"No churn seed of {Seeds} livelocked without the early commit.");
    }
}
