using System.Diagnostics;
using Confluent.Kafka;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Conveyor.Processing.Concurrency;

namespace Conveyor.IntegrationTests.Processing;

[Collection(ProcessingCollection.Name)]
public class RateLimitTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task A_rate_limited_processor_starts_no_more_handlers_a_second_than_its_rate_and_handles_everything()
    {
        const int count = 120;
        const int partitions = 3;
        const double rate = 40;
        var calls = TimedHandlerCalls.CreateEmpty(kafka, partitions, count);
        var assigned = new AssignedObserver(partitions);
        await using var processor = calls.Processor(maxConcurrency: 16, new ConcurrencyOptions { MessagesPerSecond = rate }, observer: assigned);

        var written = 0L;
        await ProcessorRun.WhileAsync(processor, async _ =>
        {
            await assigned.All.WaitAsync(Timeouts.Rebalance);
            written = Stopwatch.GetTimestamp(); // no message exists before this: no token is spent before it
            await calls.WriteAsync();
            await calls.AllHandled.WaitAsync(Timeouts.Flow);
        });

        // The bucket saves at most a tenth of a second's tokens and gains `rate` a second, so at most
        // burst + rate * t messages are taken in the t seconds after the write. A handler starts after
        // its take (how long after depends on scheduling: seen 100 ms and more on a loaded machine, so
        // starts counted per second can exceed the rate), so the k-th start comes at least
        // (k - burst) / rate after the write, however the threads ran. Without the limit all 120
        // start within a fetch of the write.
        var burst = rate / 10;
        var times = calls.Starts;
        var early = times
            .Select((at, i) => (Start: i + 1, After: Stopwatch.GetElapsedTime(written, at), Due: TimeSpan.FromSeconds((i + 1 - burst) / rate)))
            .Where(s => s.After < s.Due - TimeSpan.FromMilliseconds(1))
            .ToList();
        Assert.True(
            early.Count == 0,
            $"{early.Count} handlers started before the rate allowed, e.g. start {early.FirstOrDefault().Start} at {early.FirstOrDefault().After.TotalMilliseconds:F0} ms, due at {early.FirstOrDefault().Due.TotalMilliseconds:F0} ms");
        Assert.Equal(count, times.Count);
    }

    /// <summary>Completes once the processor was assigned all the topic's partitions.</summary>
    private sealed class AssignedObserver(int partitions) : IProcessorObserver
    {
        private readonly HashSet<TopicPartition> _assigned = [];
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task All => _all.Task;

        public void OnPartitionsAssigned(IReadOnlyList<TopicPartition> assigned)
        {
            lock (_assigned)
            {
                _assigned.UnionWith(assigned);
                if (_assigned.Count == partitions)
                {
                    _all.TrySetResult();
                }
            }
        }
    }
}
