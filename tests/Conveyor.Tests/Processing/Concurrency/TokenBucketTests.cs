using Conveyor.Processing;
using Conveyor.Processing.Concurrency;

namespace Conveyor.Tests.Processing.Concurrency;

public class TokenBucketTests
{
    private const long Frequency = 1_000; // timestamps in milliseconds

    [Fact]
    public void It_allows_a_tenth_of_a_seconds_worth_at_once_then_one_per_interval()
    {
        var bucket = new TokenBucket(50, now: 0, Frequency);

        var burst = 0;
        while (bucket.Has(0, out _))
        {
            bucket.Spend();
            burst++;
        }

        Assert.Equal(5, burst);
        Assert.False(bucket.Has(0, out var due));
        Assert.Equal(20, due); // 50 a second: one every 20 ms
        Assert.True(bucket.Has(20, out _));
    }

    [Fact]
    public void Over_a_long_run_it_never_allows_more_than_its_rate_and_a_burst()
    {
        var bucket = new TokenBucket(100, now: 0, Frequency);
        var taken = 0;
        for (long now = 0; now <= 10_000; now++)
        {
            while (bucket.Has(now, out _))
            {
                bucket.Spend();
                taken++;
            }
        }

        Assert.InRange(taken, 1_000, 1_000 + 10);
    }

    [Fact]
    public void A_rate_of_zero_or_below_is_refused_with_one_message()
    {
        var options = new ProcessorOptions { GroupId = "g", Topics = ["t"], Concurrency = new() { MessagesPerSecond = 0 } };

        Assert.Equal(["Concurrency.MessagesPerSecond must be positive (leave it unset for no rate limit); it is 0."], options.Validate());
        Assert.Equal([ProcessorValidation.RateNeedsSingleMessages], ProcessorValidation.Problems(options with { Concurrency = new() { MessagesPerSecond = 10 } }, ProcessorKind.BatchProcessor));
    }
}
