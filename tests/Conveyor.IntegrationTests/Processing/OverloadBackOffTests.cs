using System.Diagnostics;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Conveyor.Processing.Concurrency;

namespace Conveyor.IntegrationTests.Processing;

[Collection(EmbeddedKafkaCollection.Name)]
public class OverloadBackOffTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task When_most_attempts_fail_no_handler_starts_for_the_back_off_then_everything_is_handled()
    {
        const int count = 40;
        const int maxConcurrency = 4;
        var backOff = TimeSpan.FromSeconds(2);
        var calls = await TimedHandlerCalls.CreateAsync(kafka, partitions: 2, count);
        var downstreamDown = 20; // the first 20 calls time out: the downstream is down
        var lastFailure = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var processor = calls.Processor(
            maxConcurrency,
            new ConcurrencyOptions { OverloadBackOff = backOff },
            new RetryOptions { MaxAttempts = 100, InitialDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(20) },
            () =>
            {
                var left = Interlocked.Decrement(ref downstreamDown);
                if (left >= 0)
                {
                    if (left == 0)
                    {
                        lastFailure.TrySetResult();
                    }

                    throw new TimeoutException("the downstream did not answer");
                }
            });

        var overloaded = false;
        await ProcessorRun.WhileAsync(processor, async _ =>
        {
            await lastFailure.Task.WaitAsync(Timeouts.Flow);
            overloaded = await StatusSaysOverloadedAsync(processor, backOff);
            await calls.AllHandled.WaitAsync(Timeouts.Flow);
        });

        // The 20th failed attempt tripped the rule: calls the other workers had begun went on, then
        // none started until the back-off was over, retries included. Which start follows the 20th
        // report depends on scheduling (a worker descheduled between its throw and its report lets
        // the others start retries meanwhile), so the pause is looked for after the 20th start, not
        // within the next few: without the back-off no pause is longer than the 20 ms retry delay.
        var times = calls.Starts;
        var (gap, after) = Enumerable.Range(0, times.Count - 1).Select(i => (Gap: Stopwatch.GetElapsedTime(times[i], times[i + 1]), Index: i)).MaxBy(g => g.Gap);
        Assert.True(gap >= backOff * 0.95, $"after 20 failures the longest pause between calls was {gap.TotalMilliseconds:F0} ms, shorter than the {backOff.TotalSeconds} s back-off");
        Assert.True(after >= 19, $"the pause came after call {after + 1}, before 20 attempts had failed");
        Assert.Equal(count + 20, times.Count);
        Assert.True(overloaded, "the status never said the processor held its handlers");
        Assert.Null(processor.Status.OverloadedUntil); // resumed by itself
        Assert.Equal(count, calls.Handled);
    }

    /// <summary>The worker reports the attempt just after the handler threw: the status says so within moments (looked at until the back-off would be over).</summary>
    private static async Task<bool> StatusSaysOverloadedAsync(IKafkaProcessor processor, TimeSpan backOff)
    {
        var until = Stopwatch.GetTimestamp() + (long)(backOff.TotalSeconds / 2 * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < until)
        {
            if (processor.Status.OverloadedUntil is not null)
            {
                return true;
            }

            await Task.Delay(5);
        }

        return false;
    }
}
