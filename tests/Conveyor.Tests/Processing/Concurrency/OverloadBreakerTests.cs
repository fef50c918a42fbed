using Conveyor.Processing.Concurrency;

namespace Conveyor.Tests.Processing.Concurrency;

public class OverloadBreakerTests
{
    private static readonly TimeSpan BackOff = TimeSpan.FromSeconds(1);

    [Fact]
    public void It_trips_when_most_of_the_last_attempts_failed_and_not_before()
    {
        var breaker = new OverloadBreaker(BackOff);
        var trips = Enumerable.Range(0, 19).Select(i => breaker.Attempted(failed: i % 5 != 0)).ToList(); // 15 of 19 failed

        Assert.All(trips, t => Assert.Null(t));
        Assert.Equal(BackOff, breaker.Attempted(failed: true)); // 16 of the last 20
    }

    [Fact]
    public void A_few_failures_among_successes_never_trip_it()
    {
        var breaker = new OverloadBreaker(BackOff);

        var trips = Enumerable.Range(0, 1_000).Select(i => breaker.Attempted(failed: i % 4 != 0)).ToList(); // 75 % failed

        Assert.All(trips, t => Assert.Null(t));
    }

    [Fact]
    public void It_doubles_while_it_trips_again_at_once_and_starts_short_after_a_calm_spell()
    {
        var breaker = new OverloadBreaker(BackOff);
        TimeSpan? Fail20() => Enumerable.Range(0, 20).Select(_ => breaker.Attempted(failed: true)).ToList().FirstOrDefault(t => t is not null);

        Assert.Equal([1d, 2, 4, 8, 8], Enumerable.Range(0, 5).Select(_ => Fail20()!.Value.TotalSeconds));

        for (var i = 0; i < 100; i++)
        {
            breaker.Attempted(failed: false);
        }

        Assert.Equal(BackOff, Fail20());
    }
}
