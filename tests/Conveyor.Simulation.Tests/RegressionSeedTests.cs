namespace Conveyor.Simulation.Tests;

/// <summary>Seeds that once failed, kept as tests of what they found.</summary>
public sealed class RegressionSeedTests
{
    /// <summary>
    /// Every partition was paused for a full buffer when a new assignment arrived inside
    /// <c>Consume</c>; the feeder kept taking the new partition's messages past the buffer's cap
    /// (22 of 20 in seed 38, up to a whole batch of 500 with real fetch sizes). The feeder now puts
    /// such a message back (seek), and the next turn pauses the new partition like the others.
    /// </summary>
    [Theory]
    [InlineData(38)]
    [InlineData(316)]
    public void The_buffer_stays_within_its_cap_when_a_partition_is_assigned_while_all_are_paused(int seed)
    {
        var result = SimWorld.Run(ScheduleGenerator.For(seed) with { Pipeline = Pipelines.Pipeline.Plain });

        Assert.Null(result.Violation);
    }

    /// <summary>
    /// At-most-once handled a fetched batch even when the commit before it failed (or was refused
    /// during a rebalance): its handlers ran with the offsets uncommitted, so a crash or a rebalance
    /// would hand them to a handler again. Seed 3: a failed commit, then appended messages run. A
    /// partition whose commit does not land now runs nothing of the batch; it is read again.
    /// </summary>
    [Theory]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(12)]
    public void At_most_once_never_handles_a_batch_whose_commit_did_not_land(int seed)
    {
        var result = SimWorld.Run(ScheduleGenerator.For(seed, pipeline: Pipelines.Pipeline.AtMostOnce));

        Assert.Null(result.Violation);
    }

    /// <summary>
    /// Exactly-once under key or unordered ordering: a transaction holds outputs of messages
    /// finished above an unfinished one, so its offsets carry them in their metadata (persisted
    /// completions), and a restart skips them instead of writing them again.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(9)]
    public void Exactly_once_under_key_ordering_commits_the_outputs_above_an_unfinished_input_with_their_offsets(int seed)
    {
        var result = SimWorld.Run(ScheduleGenerator.For(seed, pipeline: Pipelines.Pipeline.ExactlyOnceAnyOrdering));

        Assert.Null(result.Violation);
    }
}
