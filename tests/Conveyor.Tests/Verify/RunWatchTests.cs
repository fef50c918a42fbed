using Conveyor.Cli.Verify;

namespace Conveyor.Tests.Verify;

public class RunWatchTests
{
    private static readonly DateTime Start = new(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void A_start_slower_than_the_stall_timeout_is_reported_as_unassigned_never_as_no_progress()
    {
        // As traced with the verifier and its workers held to a twentieth of a core: the first
        // worker was assigned its partitions 14 s after it started, and handled the first message 3 s later.
        var watch = new RunWatch(StallTimeout);

        Assert.Null(watch.Check(0, assigned: false, Start));
        Assert.Equal(new RunNotice(true, TimeSpan.FromSeconds(10)), watch.Check(0, assigned: false, Start.AddSeconds(10)));
        Assert.Null(watch.Check(0, assigned: true, Start.AddSeconds(14)));
        Assert.Null(watch.Check(0, assigned: true, Start.AddSeconds(20)));
        Assert.Null(watch.Check(50, assigned: true, Start.AddSeconds(23)));
    }

    [Fact]
    public void Once_a_worker_was_assigned_a_count_that_stands_still_for_the_stall_timeout_is_no_progress()
    {
        var watch = new RunWatch(StallTimeout);

        Assert.Null(watch.Check(0, assigned: false, Start));
        Assert.Null(watch.Check(0, assigned: true, Start.AddSeconds(2)));
        Assert.Equal(new RunNotice(false, TimeSpan.FromSeconds(10)), watch.Check(0, assigned: true, Start.AddSeconds(12)));
        Assert.Null(watch.Check(100, assigned: true, Start.AddSeconds(13)));
        Assert.Null(watch.Check(100, assigned: true, Start.AddSeconds(22)));
        Assert.Equal(new RunNotice(false, TimeSpan.FromSeconds(10)), watch.Check(100, assigned: true, Start.AddSeconds(23)));
    }
}
