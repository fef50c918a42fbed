using Conveyor.Processing.Concurrency;

namespace Conveyor.Tests.Processing.Concurrency;

/// <summary>
/// The adaptive limit's algorithm on synthetic latency series: time is a number the test moves,
/// each 10 ms step feeds as many calls as the limit allows, with the latency the series gives.
/// </summary>
public class GradientLimitTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(10);

    [Fact]
    public void It_grows_to_its_highest_while_latency_stays_at_its_floor()
    {
        var limit = new GradientLimit(1, 200);
        var series = new Series(limit);

        series.Run(TimeSpan.FromSeconds(5), _ => 10);

        Assert.Equal(200, limit.Limit);
        Assert.Equal(10, limit.Floor!.Value.TotalMilliseconds, precision: 3);
    }

    [Fact]
    public void It_settles_near_a_downstreams_capacity_where_latency_rises_with_load()
    {
        // Flat up to 20 calls at once, then rising in proportion: more than 20 adds latency, not throughput.
        var limit = new GradientLimit(1, 500);
        var series = new Series(limit);

        var seen = series.Run(TimeSpan.FromSeconds(30), n => 10 * Math.Max(1, n / 20.0));

        var settled = seen.Skip(seen.Count / 2).ToList();
        Assert.InRange(settled.Min(), 20, 45);
        Assert.InRange(settled.Max(), 20, 45);
    }

    [Fact]
    public void It_shrinks_when_latency_rises_and_grows_back_when_it_recovers()
    {
        var limit = new GradientLimit(2, 100);
        var series = new Series(limit);
        series.Run(TimeSpan.FromSeconds(5), _ => 10);
        Assert.Equal(100, limit.Limit);

        series.Run(TimeSpan.FromSeconds(3), _ => 50); // the downstream slows down five-fold
        Assert.Equal(2, limit.Limit);

        series.Run(TimeSpan.FromSeconds(5), _ => 10);
        Assert.Equal(100, limit.Limit);
    }

    [Fact]
    public void Retried_failures_in_most_calls_cut_it_to_its_lowest_and_it_recovers_after()
    {
        var limit = new GradientLimit(4, 64);
        var series = new Series(limit);
        series.Run(TimeSpan.FromSeconds(5), _ => 10);
        Assert.Equal(64, limit.Limit);

        series.Run(TimeSpan.FromSeconds(2), _ => 10, failing: 0.5);
        Assert.Equal(4, limit.Limit);

        series.Run(TimeSpan.FromSeconds(5), _ => 10);
        Assert.Equal(64, limit.Limit);
    }

    [Fact]
    public void A_few_failing_messages_do_not_cut_it()
    {
        var limit = new GradientLimit(1, 64);
        var series = new Series(limit);
        series.Run(TimeSpan.FromSeconds(5), _ => 10);

        var seen = series.Run(TimeSpan.FromSeconds(5), _ => 10, failing: 0.02);

        Assert.All(seen, l => Assert.Equal(64, l));
    }

    [Fact]
    public void It_does_not_grow_while_the_handlers_use_less_than_half_of_it()
    {
        var limit = new GradientLimit(8, 64);
        var series = new Series(limit);

        series.Run(TimeSpan.FromSeconds(5), _ => 10, running: _ => 3);

        Assert.Equal(8, limit.Limit);
    }

    [Fact]
    public void It_stays_within_its_bounds_whatever_the_latency()
    {
        var random = new Random(27);
        var limit = new GradientLimit(3, 40);
        var series = new Series(limit);

        var seen = series.Run(TimeSpan.FromSeconds(60), _ => random.Next(1, 1_000), failing: 0.03);

        Assert.All(seen, l => Assert.InRange(l, 3, 40));
        Assert.True(seen.Distinct().Count() > 2, "the limit never moved: the series did not test the bounds");
    }

    [Fact]
    public void A_downstream_that_stays_slower_for_good_is_measured_again_and_the_limit_grows_back()
    {
        var limit = new GradientLimit(1, 50);
        var series = new Series(limit);
        series.Run(TimeSpan.FromSeconds(5), _ => 10);

        series.Run(TimeSpan.FromSeconds(60), _ => 40);

        Assert.Equal(50, limit.Limit);
        Assert.Equal(40, limit.Floor!.Value.TotalMilliseconds, precision: 3);
    }

    /// <summary>Feeds the limit: every 10 ms step, as many calls end as are running, each after the series' latency.</summary>
    private sealed class Series(GradientLimit limit)
    {
        private TimeSpan _now;
        private long _calls;

        /// <summary>Runs for <paramref name="duration"/>; returns the limit after each step.</summary>
        public List<int> Run(TimeSpan duration, Func<int, double> latencyMs, double failing = 0, Func<int, int>? running = null)
        {
            var seen = new List<int>();
            for (var end = _now + duration; _now < end; _now += Step)
            {
                var inFlight = running?.Invoke(limit.Limit) ?? limit.Limit;
                var latency = TimeSpan.FromMilliseconds(latencyMs(inFlight));
                for (var i = 0; i < inFlight; i++)
                {
                    // Spread evenly: every (1 / failing)th call fails, so the share is exact in each window.
                    var failed = failing > 0 && (++_calls % (long)Math.Round(1 / failing)) == 0;
                    limit.Sample(_now, latency, failed, inFlight);
                }

                seen.Add(limit.Limit);
            }

            return seen;
        }
    }
}
