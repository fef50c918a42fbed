using Conveyor.Processing.Commits;

namespace Conveyor.Tests.Processing.Commits;

public class RebalanceHoldTests
{
    private static readonly DateTime Now = new(2026, 12, 1, 5, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void A_refused_commit_holds_new_work_until_a_commit_succeeds_or_partitions_are_assigned()
    {
        var hold = new RebalanceHold();
        Assert.False(hold.IsHeld(Now));

        hold.Refused(Now);
        Assert.True(hold.IsHeld(Now + TimeSpan.FromSeconds(1)));

        hold.Release();
        Assert.False(hold.IsHeld(Now + TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void A_hold_nothing_releases_ends_after_its_limit()
    {
        var hold = new RebalanceHold();
        hold.Refused(Now);

        Assert.True(hold.IsHeld(Now + RebalanceHold.Limit - TimeSpan.FromMilliseconds(1)));
        Assert.False(hold.IsHeld(Now + RebalanceHold.Limit));
    }
}
