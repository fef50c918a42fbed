using System.Collections.Concurrent;
using System.Diagnostics;
using Conveyor.Configuration;
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
        var backOff = TimeSpan.FromSeconds(2);
        var topic = kafka.CreateTopic(partitions: 2);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, [.. Enumerable.Range(0, count).Select(i => ((string?)$"k{i}", $"m{i}"))]);
        var calls = new ConcurrentQueue<long>();
        var handled = new ConcurrentDictionary<string, bool>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var downstreamDown = 20; // the first 20 calls time out: the downstream is down
        var options = new ProcessorOptions
        {
            GroupId = Names.Unique("group"),
            Topics = [topic],
            MaxConcurrency = 4,
            Retry = new RetryOptions { MaxAttempts = 100, InitialDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(20) },
            Concurrency = new ConcurrencyOptions { OverloadBackOff = backOff },
        };
        var lastFailure = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var processor = new KafkaProcessorBuilder<string, string>(new KafkaClientProperties(kafka.Cluster.BootstrapServers), options)
            .Handle((message, _) =>
            {
                calls.Enqueue(Stopwatch.GetTimestamp());
                var left = Interlocked.Decrement(ref downstreamDown);
                if (left >= 0)
                {
                    if (left == 0)
                    {
                        lastFailure.TrySetResult();
                    }

                    throw new TimeoutException("the downstream did not answer");
                }

                handled[message.Value] = true;
                if (handled.Count == count)
                {
                    all.TrySetResult();
                }

                return ValueTask.CompletedTask;
            })
            .Build();
        using var stop = new CancellationTokenSource();

        var running = processor.RunAsync(stop.Token);
        await lastFailure.Task.WaitAsync(Timeouts.Flow);
        var overloaded = await StatusSaysOverloadedAsync(processor, backOff);
        await all.Task.WaitAsync(Timeouts.Flow);
        await stop.CancelAsync();
        await running.WaitAsync(Timeouts.Stop);

        // The 20th failed attempt tripped the rule: calls the other workers had begun went on, then
        // none started until the back-off was over, retries included.
        var times = calls.Order().ToList();
        var gap = Enumerable.Range(19, options.MaxConcurrency).Max(i => Stopwatch.GetElapsedTime(times[i], times[i + 1]));
        Assert.True(gap >= backOff * 0.95, $"after 20 failures the longest pause between calls was {gap.TotalMilliseconds:F0} ms, shorter than the {backOff.TotalSeconds} s back-off");
        Assert.Equal(count + 20, times.Count);
        Assert.True(overloaded, "the status never said the processor held its handlers");
        Assert.Null(processor.Status.OverloadedUntil); // resumed by itself
        Assert.Equal(count, handled.Count);
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
