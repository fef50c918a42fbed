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
        var result = SimWorld.Run(ScheduleGenerator.For(seed));

        Assert.Null(result.Violation);
    }

    /// <summary>
    /// Churn seed 0 (persisted completions, the process killed every 1-3 s, commit interval 5 s):
    /// persisted completions committed only at the interval, so nothing was ever committed
    /// between kills and p0 stayed at 46 of 78 while it was handled again and again. They now
    /// commit early, as watermark commits do, once the head moved half the run-ahead limit.
    /// </summary>
    [Fact]
    public void Persisted_completions_keep_progressing_under_kills_faster_than_the_commit_interval()
    {
        var schedule = ScheduleGenerator.Churn(0);
        Assert.True(schedule.PersistCompletions);

        var result = SimWorld.Run(schedule);

        Assert.Null(result.Violation);
    }

    /// <summary>
    /// Seed 5562: p0 had nothing to read for seconds (and the wall clock jumped 3.4 s ahead); three
    /// messages were appended and the stall watchdog reported p0 stalled 3 ms later, at its first
    /// look after the append, while the fetch was on its way. It counted idle time with nothing to
    /// read as stalled time; a look that finds nothing to read now restarts the idle time.
    /// </summary>
    [Fact]
    public void A_message_after_a_long_idle_spell_is_not_reported_as_a_stall()
    {
        var result = SimWorld.Run(ScheduleGenerator.For(5562));

        Assert.Null(result.Violation);
    }
}
