using Conveyor.Processing.Engine;

namespace Conveyor.Tests.Processing;

public class RefetchDelayTests
{
    [Fact]
    public void Before_any_refetch_it_plans_for_the_second_librdkafkas_broker_thread_may_sleep() =>
        Assert.Equal(TimeSpan.FromSeconds(1), new RefetchDelay().Current);

    [Fact]
    public void A_longer_refetch_counts_at_once_and_a_shorter_one_a_quarter_at_a_time()
    {
        var delay = new RefetchDelay();
        delay.Observed(TimeSpan.FromMilliseconds(1_400));
        Assert.Equal(TimeSpan.FromMilliseconds(1_400), delay.Current);

        // A resume that happened to land on the broker thread's wake must not make the next one late.
        delay.Observed(TimeSpan.FromMilliseconds(200));
        Assert.Equal(TimeSpan.FromMilliseconds(1_100), delay.Current);
    }

    [Fact]
    public void Quick_refetches_never_plan_for_less_than_the_second_the_broker_thread_may_sleep()
    {
        var delay = new RefetchDelay();
        for (var i = 0; i < 10; i++)
        {
            delay.Observed(TimeSpan.FromMilliseconds(60));
        }

        Assert.Equal(TimeSpan.FromSeconds(1), delay.Current);
    }

    [Fact]
    public void A_hiccup_counts_no_longer_than_two_seconds()
    {
        var delay = new RefetchDelay();
        delay.Observed(TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.FromSeconds(2), delay.Current);
    }
}
