namespace Conveyor.Simulation.Tests;

public sealed class DeterminismTests
{
    [Theory]
    [InlineData(5)]
    [InlineData(38)]
    [InlineData(4242)]
    public void The_same_seed_gives_the_same_run_bit_for_bit(int seed)
    {
        var first = SimWorld.Run(ScheduleGenerator.For(seed), trace: true);
        var second = SimWorld.Run(ScheduleGenerator.For(seed), trace: true);

        Assert.True(first.Trace.Length > 1_000, "the trace records the run");
        Assert.Equal(first.Trace, second.Trace);
        Assert.Equal(first.Events, second.Events);
        Assert.Equal(first.Simulated, second.Simulated);
    }

    [Theory]
    [InlineData("Forwarding", 7)]
    [InlineData("AtMostOnce", 7)]
    [InlineData("ExactlyOnce", 7)]
    [InlineData("ExactlyOnce", 48)]
    [InlineData("Batches", 3)]
    public void Each_pipeline_gives_the_same_run_for_the_same_seed(string name, int seed)
    {
        var pipeline = Enum.Parse<Pipelines.Pipeline>(name);
        var first = SimWorld.Run(ScheduleGenerator.For(seed, pipeline: pipeline), trace: true);
        var second = SimWorld.Run(ScheduleGenerator.For(seed, pipeline: pipeline), trace: true);

        Assert.Contains(pipeline.ToString(), first.Trace, StringComparison.Ordinal);
        Assert.Equal(first.Trace, second.Trace);
        Assert.Equal(first.Events, second.Events);
    }

    [Fact]
    public void Different_seeds_give_different_runs()
    {
        var first = SimWorld.Run(ScheduleGenerator.For(1), trace: true);
        var second = SimWorld.Run(ScheduleGenerator.For(2), trace: true);

        Assert.NotEqual(first.Trace, second.Trace);
    }
}
