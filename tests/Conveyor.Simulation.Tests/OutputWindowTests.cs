using System.Text.RegularExpressions;
using Conveyor.Simulation.Pipelines;

namespace Conveyor.Simulation.Tests;

/// <summary>
/// A full output window in the simulator: forwarding seeds bound unacknowledged outputs to 1-4
/// (an input has up to 3), so workers wait for room before they take (and senders whose input
/// outgrew the room held, after) and are resumed as the scheduler's events
/// (<c>OutputWindow.Runtime</c>), not on the thread pool.
/// </summary>
public sealed class OutputWindowTests
{
    [Fact]
    public void Forwarding_seeds_fill_the_output_window_and_keep_every_invariant()
    {
        var waits = 0;
        for (var seed = 0; seed < 150; seed++)
        {
            var result = SimWorld.Run(ScheduleGenerator.For(seed, pipeline: Pipeline.Forwarding), trace: true);

            Assert.False(result.Failed, result.Violation); // outputs acknowledged before commits, per-lane order, no stall: the progress bound
            waits += Regex.Count(result.Trace, "output window full");
        }

        Assert.True(waits > 100, $"the window filled {waits} times in 150 seeds");
    }

    [Theory]
    [InlineData(7)]
    [InlineData(0)]
    public void A_run_whose_window_fills_is_the_same_run_for_the_same_seed(int seed)
    {
        var first = SimWorld.Run(ScheduleGenerator.For(seed, pipeline: Pipeline.Forwarding), trace: true);
        var second = SimWorld.Run(ScheduleGenerator.For(seed, pipeline: Pipeline.Forwarding), trace: true);

        Assert.Contains("output window full", first.Trace, StringComparison.Ordinal);
        Assert.Equal(first.Trace, second.Trace);
        Assert.Equal(first.Events, second.Events);
    }
}
