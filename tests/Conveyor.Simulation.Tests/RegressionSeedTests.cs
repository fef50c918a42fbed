namespace Conveyor.Simulation.Tests;

/// <summary>Seeds that once failed, kept as tests of what they found.</summary>
public sealed class RegressionSeedTests
{
    /// <summary>
    /// Seed 814: every partition was paused for a full buffer when a new assignment arrived inside
    /// <c>Consume</c>; the feeder kept taking the new partition's messages past the buffer's cap
    /// (21 of 20 here, up to a whole batch of 500 with real fetch sizes). The feeder now puts such
    /// a message back (seek) and the next turn pauses the new partition.
    /// </summary>
    [Fact]
    public void Seed_814_keeps_the_buffer_within_its_cap_when_a_partition_is_assigned_while_all_are_paused()
    {
        var result = SimWorld.Run(ScheduleGenerator.For(814));

        Assert.Null(result.Violation);
    }
}
