using Conveyor.Processing;

namespace Conveyor.Tests.Processing;

/// <summary>The retry back-off does what the README says: doubles, with bounded jitter, capped.</summary>
public class RetryDelayTests
{
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(0.999)]
    public void Each_delay_doubles_the_one_before_within_the_jitter(double random)
    {
        var retry = new RetryOptions { InitialDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromMinutes(1) };

        for (var n = 0; n < 6; n++)
        {
            var nominal = 100 * Math.Pow(2, n);
            var delay = retry.DelayFor(n, random).TotalMilliseconds;
            Assert.InRange(delay, nominal * 0.8, nominal * 1.2);
        }
    }

    [Fact]
    public void A_later_delay_is_never_shorter_than_an_earlier_one_whatever_the_dice()
    {
        var retry = new RetryOptions { InitialDelay = TimeSpan.FromSeconds(5), MaxDelay = TimeSpan.FromSeconds(10) };

        Assert.InRange(retry.DelayFor(0, 0.0).TotalMilliseconds, 4_000, 6_000);
        Assert.True(retry.DelayFor(1, 0.0) >= retry.DelayFor(0, 0.999)); // 8 s at the least after 6 s at the most
        Assert.Equal(TimeSpan.FromSeconds(10), retry.DelayFor(1, 0.999)); // capped
        Assert.Equal(TimeSpan.FromSeconds(10), retry.DelayFor(40, 0.5));
    }

    [Fact]
    public void No_delay_stays_no_delay() =>
        Assert.Equal(TimeSpan.Zero, new RetryOptions { InitialDelay = TimeSpan.Zero }.DelayFor(3, 0.7));
}
