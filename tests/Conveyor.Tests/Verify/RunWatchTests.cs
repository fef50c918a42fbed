using Conveyor.Cli.Verify;

namespace Conveyor.Tests.Verify;

public class RunWatchTests
{
    private static readonly TimeSpan Start = TimeSpan.FromMinutes(3); // elapsed since the run started
    private static readonly TimeSpan StallTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public void A_start_slower_than_the_stall_timeout_is_reported_as_unassigned_never_as_no_progress()
    {
        // As traced with the verifier and its workers held to a twentieth of a core: the first
        // worker was assigned its partitions 14 s after it started, and handled the first message 3 s later.
        var watch = new RunWatch(StallTimeout);

        Assert.Null(watch.Check(0, assigned: false, Start));
        Assert.Equal(new RunNotice(true, TimeSpan.FromSeconds(10)), watch.Check(0, assigned: false, Start + TimeSpan.FromSeconds(10)));
        Assert.Null(watch.Check(0, assigned: true, Start + TimeSpan.FromSeconds(14)));
        Assert.Null(watch.Check(0, assigned: true, Start + TimeSpan.FromSeconds(20)));
        Assert.Null(watch.Check(50, assigned: true, Start + TimeSpan.FromSeconds(23)));
    }

    [Fact]
    public void Once_a_worker_was_assigned_a_count_that_stands_still_for_the_stall_timeout_is_no_progress()
    {
        var watch = new RunWatch(StallTimeout);

        Assert.Null(watch.Check(0, assigned: false, Start));
        Assert.Null(watch.Check(0, assigned: true, Start + TimeSpan.FromSeconds(2)));
        Assert.Equal(new RunNotice(false, TimeSpan.FromSeconds(10)), watch.Check(0, assigned: true, Start + TimeSpan.FromSeconds(12)));
        Assert.Null(watch.Check(100, assigned: true, Start + TimeSpan.FromSeconds(13)));
        Assert.Null(watch.Check(100, assigned: true, Start + TimeSpan.FromSeconds(22)));
        Assert.Equal(new RunNotice(false, TimeSpan.FromSeconds(10)), watch.Check(100, assigned: true, Start + TimeSpan.FromSeconds(23)));
    }
}
