using System.Diagnostics;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Conveyor.Processing.Concurrency;

namespace Conveyor.IntegrationTests.Processing;

[Collection(ProcessingCollection.Name)]
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

        // The rule trips at the 20th reported attempt, so at least 20 calls started before the hold.
        // From then no take is served until the hold ends, but a worker may have taken a message
        // before the trip and start its handler during the hold (descheduled between its take and
        // the call: CI saw such a start 200 ms into the hold). At most maxConcurrency - 1 of them,
        // since the tripping worker still holds its own take. So for the last start k before the
        // hold, start k + maxConcurrency comes after the hold's end: some span of maxConcurrency
        // steps from the 20th start on is at least the back-off. Without the back-off every call
        // follows the one before within the 20 ms retry delay.
        var times = calls.Starts;
        var longest = Enumerable.Range(19, times.Count - 19 - maxConcurrency)
            .Max(i => Stopwatch.GetElapsedTime(times[i], times[i + maxConcurrency]));
        Assert.True(longest >= backOff - TimeSpan.FromMilliseconds(1), $"after 20 failures the longest span of {maxConcurrency} calls was {longest.TotalMilliseconds:F0} ms, shorter than the {backOff.TotalSeconds} s back-off");
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
