using Conveyor.Cli.CommandLine;

namespace Conveyor.Tests.Cli;

/// <summary>The CLI's waits (verify's schedule and audit, pipe's count) end after the time asked, whatever the wall clock does.</summary>
public class DeadlineTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_deadline_passes_when_its_time_has_elapsed_and_not_before()
    {
        var clock = new ManualClock(Start);
        var deadline = Deadline.In(TimeSpan.FromSeconds(30), clock);

        clock.Advance(TimeSpan.FromSeconds(29));
        Assert.False(deadline.Passed);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(deadline.Passed);
    }

    [Fact]
    public void A_wall_clock_step_forward_does_not_end_a_wait_early()
    {
        var clock = new ManualClock(Start);
        var deadline = Deadline.In(TimeSpan.FromSeconds(30), clock);

        clock.Step(TimeSpan.FromHours(1)); // NTP sets the wall clock forward: no time passed
        Assert.False(deadline.Passed);
    }

    [Fact]
    public void A_wall_clock_step_back_does_not_stretch_a_wait()
    {
        var clock = new ManualClock(Start);
        var deadline = Deadline.In(TimeSpan.FromSeconds(30), clock);

        clock.Step(TimeSpan.FromHours(-1)); // a resumed virtual machine's clock set back an hour
        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.True(deadline.Passed);
    }

    [Fact]
    public void A_deadline_of_no_time_has_passed_at_once()
    {
        Assert.True(Deadline.In(TimeSpan.Zero, new ManualClock(Start)).Passed);
    }
}
