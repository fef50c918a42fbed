using Conveyor.Cli.Verify;

namespace Conveyor.Tests.Verify;

public class ProgressWatchTests
{
    private static readonly TimeSpan Start = TimeSpan.FromMinutes(3); // elapsed since the run started

    [Fact]
    public void A_count_that_stands_still_is_reported_after_the_timeout_and_again_every_timeout_until_it_moves()
    {
        var watch = new ProgressWatch(TimeSpan.FromSeconds(30));

        Assert.Null(watch.Stalled(10, Start));
        Assert.Null(watch.Stalled(10, Start + TimeSpan.FromSeconds(29)));
        Assert.Equal(TimeSpan.FromSeconds(30), watch.Stalled(10, Start + TimeSpan.FromSeconds(30)));
        Assert.Null(watch.Stalled(10, Start + TimeSpan.FromSeconds(45)));
        Assert.Equal(TimeSpan.FromSeconds(60), watch.Stalled(10, Start + TimeSpan.FromSeconds(60)));

        Assert.Null(watch.Stalled(11, Start + TimeSpan.FromSeconds(61)));
        Assert.Null(watch.Stalled(11, Start + TimeSpan.FromSeconds(90)));
        Assert.Equal(TimeSpan.FromSeconds(30), watch.Stalled(11, Start + TimeSpan.FromSeconds(91)));
    }
}
