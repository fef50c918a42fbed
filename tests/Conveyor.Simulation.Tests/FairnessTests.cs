using Conveyor.Processing.Engine;
using Xunit.Abstractions;

namespace Conveyor.Simulation.Tests;

/// <summary>
/// Fairness on fetches as a real broker hands them out (runs of up to 500 messages of one
/// partition into one queue), with handlers slow enough that the buffer is pressed: no partition
/// with messages to read and none in hand waits past <see cref="FairnessWatch.Bound"/> while
/// another partition's messages are delivered. Without the feeder's rotation
/// (<see cref="ReintroducedBugs.NoRotation"/>) the partitions that starve get in one after
/// another, each after the one before took its whole share.
/// </summary>
public sealed class FairnessTests(ITestOutputHelper output)
{
    private const int Seeds = 200;

    [Fact]
    public void No_ready_partition_waits_past_the_bound_while_others_are_served()
    {
        var waits = new List<double>();
        for (var seed = 0; seed < Seeds; seed++)
        {
            var result = SimWorld.Run(ScheduleGenerator.Fairness(seed));
            if (result.Failed)
            {
                Assert.Fail(Reproduction.Describe(Shrinker.Shrink(result, ReintroducedBugs.None, budget: 100)));
            }

            waits.Add(result.LongestWait.TotalSeconds);
        }

        output.WriteLine(Describe(waits));
    }

    [Fact]
    public void Without_the_rotation_a_ready_partition_waits_past_the_bound()
    {
        var waits = new List<double>();
        for (var seed = 0; seed < Seeds; seed++)
        {
            var schedule = ScheduleGenerator.Fairness(seed);
            var result = SimWorld.Run(schedule, ReintroducedBugs.NoRotation);
            waits.Add(result.LongestWait.TotalSeconds);
            if (!result.Failed)
            {
                continue;
            }

            Assert.Equal("unfair", result.Kind);
            Assert.False(SimWorld.Run(schedule).Failed, "the same schedule is fair with the rotation");
            output.WriteLine($"without the rotation, fairness seed {seed}: {result.Violation}");
            return;
        }

        Assert.Fail($"No fairness seed of {Seeds} waited past the bound without the rotation; {Describe(waits)}.");
    }

    private static string Describe(List<double> waits)
    {
        waits.Sort();
        return $"longest wait of a ready partition per seed ({waits.Count} seeds): median {waits[waits.Count / 2]:F2} s, 90th percentile {waits[waits.Count * 9 / 10]:F2} s, most {waits[^1]:F2} s";
    }
}
