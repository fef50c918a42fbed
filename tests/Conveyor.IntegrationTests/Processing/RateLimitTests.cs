using System.Diagnostics;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing.Concurrency;

namespace Conveyor.IntegrationTests.Processing;

[Collection(EmbeddedKafkaCollection.Name)]
public class RateLimitTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task A_rate_limited_processor_starts_no_more_handlers_a_second_than_its_rate_and_handles_everything()
    {
        const int count = 120;
        const double rate = 40;
        var calls = await TimedHandlerCalls.CreateAsync(kafka, partitions: 3, count);
        await using var processor = calls.Processor(maxConcurrency: 16, new ConcurrencyOptions { MessagesPerSecond = rate });

        await ProcessorRun.WhileAsync(processor, _ => calls.AllHandled.WaitAsync(Timeouts.Flow));

        // A tenth of a second's worth may start at once; every later start waits for its token.
        var times = calls.Starts;
        var spread = Stopwatch.GetElapsedTime(times[0], times[^1]);
        Assert.True(spread >= TimeSpan.FromSeconds((count - (rate / 10)) / rate * 0.95), $"{count} handlers started within {spread.TotalSeconds:F2} s: faster than {rate} a second");
        // In any second: the burst plus a second's tokens, plus what a 100 ms scheduling delay between a
        // worker taking its token and the handler recording its start can move into that second (seen:
        // 47 against 45 on a loaded 2-core machine). Without the limit all 120 start in the same second.
        var busiestSecond = times.Select(t => times.Count(u => u >= t && Stopwatch.GetElapsedTime(t, u) < TimeSpan.FromSeconds(1))).Max();
        Assert.InRange(busiestSecond, 1, (int)rate + (2 * (int)(rate / 10)) + 1);
    }
}
