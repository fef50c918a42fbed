using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Batching;

namespace Conveyor.Tests.Processing.Batching;

/// <summary>Batches without a broker: the engine taking runs of a partition's messages from a fake consumer.</summary>
public class BatchingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly RetryOptions Retry = new() { MaxAttempts = 3, InitialDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) };

    [Fact]
    public async Task A_full_batch_runs_at_once_in_offset_order_without_waiting()
    {
        var batches = new ConcurrentQueue<long[]>();
        var all = Counter(8);
        await using var engine = await BatchEngine.StartAsync(Options(new BatchOptions { MaxMessages = 4, MaxWait = TimeSpan.FromHours(1) }), (batch, _) =>
        {
            batches.Enqueue([.. batch.Select(m => m.Offset)]);
            all.Add(batch.Count);
            return ValueTask.CompletedTask;
        }, [Values(8)]);

        await all.Done.WaitAsync(Timeout);

        Assert.Equal([[0, 1, 2, 3], [4, 5, 6, 7]], batches);
    }

    [Fact]
    public async Task A_batch_that_is_not_full_runs_after_the_wait_and_bytes_bound_a_batch()
    {
        var batches = new ConcurrentQueue<int>();
        var all = Counter(5);

        // Values of 10 bytes and a key of 1: at most 2 fit in 25 bytes.
        await using var engine = await BatchEngine.StartAsync(Options(new BatchOptions { MaxMessages = 100, MaxBytes = 25, MaxWait = TimeSpan.FromMilliseconds(20) }), (batch, _) =>
        {
            batches.Enqueue(batch.Count);
            all.Add(batch.Count);
            return ValueTask.CompletedTask;
        }, [[.. Enumerable.Repeat(new string('x', 10), 5)]]);

        await all.Done.WaitAsync(Timeout);

        Assert.Equal(5, batches.Sum());
        Assert.All(batches, count => Assert.True(count <= 2));
    }

    [Fact]
    public async Task A_failing_index_finishes_the_messages_before_it_and_fails_that_one_after_its_attempts()
    {
        var batches = new ConcurrentQueue<long[]>();
        var observer = new Recorder();

        // A full first batch, no waiting: the test does not depend on timing. The failure stops the
        // partition here (a dead letter needs a broker: BatchProcessingTests has that case).
        await using var engine = await BatchEngine.StartAsync(Options(new BatchOptions { MaxMessages = 6, MaxWait = TimeSpan.FromHours(1) }), (batch, _) =>
        {
            batches.Enqueue([.. batch.Select(m => m.Offset)]);
            var poison = batch.ToList().FindIndex(m => m.Offset == 3);
            return poison >= 0 ? throw new BatchFailedException(poison, new FormatException("offset 3 is malformed")) : ValueTask.CompletedTask;
        }, [Values(6)], observer);

        var (at, failure) = await observer.Stopped.Task.WaitAsync(Timeout);
        await engine.StopAsync();

        Assert.Equal(3, at.Offset.Value);
        Assert.Equal("offset 3 is malformed", Assert.IsType<FormatException>(failure).Message);
        Assert.Equal([0L, 1, 2, 3, 4, 5], batches.First());
        Assert.Equal(3, batches.Count(b => b.Contains(3L))); // 3 attempts: the whole batch, then twice the rest from the failed one
        Assert.Equal([3L, 4, 5], batches.ElementAt(1));
        Assert.Equal(3, engine.Consumer.CommittedOffset(new TopicPartition("t", 0))); // 0, 1 and 2 finished; nothing passes 3
    }

    [Fact]
    public async Task A_batch_failing_without_an_index_is_retried_whole_and_succeeds()
    {
        var attempts = 0;
        var sizes = new ConcurrentQueue<int>();
        var all = Counter(3);
        await using var engine = await BatchEngine.StartAsync(Options(new BatchOptions { MaxMessages = 3, MaxWait = TimeSpan.FromHours(1) }), (batch, _) =>
        {
            sizes.Enqueue(batch.Count);
            if (Interlocked.Increment(ref attempts) < 3)
            {
                throw new TimeoutException("database busy");
            }

            all.Add(batch.Count);
            return ValueTask.CompletedTask;
        }, [Values(3)]);

        await all.Done.WaitAsync(Timeout);

        Assert.Equal([3, 3, 3], sizes);
    }

    [Fact]
    public async Task A_partitions_batches_never_overlap_while_partitions_run_side_by_side()
    {
        var running = new ConcurrentDictionary<int, int>();
        var overlap = false;
        var started = new[] { new TaskCompletionSource(), new TaskCompletionSource() };
        var all = Counter(200);
        await using var engine = await BatchEngine.StartAsync(Options(new BatchOptions { MaxMessages = 5, MaxWait = TimeSpan.FromMilliseconds(5) }), async (batch, _) =>
        {
            var partition = batch[0].Partition;
            overlap |= running.AddOrUpdate(partition, 1, (_, n) => n + 1) > 1;
            started[partition].TrySetResult();

            // Each partition's first batch waits until the other partition's has started: only
            // batches running side by side get past this.
            await started[1 - partition].Task.WaitAsync(Timeout);
            await Task.Yield();
            running.AddOrUpdate(partition, 0, (_, n) => n - 1);
            all.Add(batch.Count);
        }, [Values(100), Values(100)]);

        await all.Done.WaitAsync(Timeout * 2);

        Assert.False(overlap);
    }

    [Fact]
    public async Task Batch_retries_wait_the_same_back_off_as_single_messages_by_the_failed_messages_attempts()
    {
        var retry = new RetryOptions { MaxAttempts = 4, InitialDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromSeconds(1) };
        var retries = new Recorder();
        var attempts = 0;
        var all = Counter(2);
        await using var engine = await BatchEngine.StartAsync(BatchEngine.Options(new BatchOptions { MaxMessages = 2, MaxWait = TimeSpan.FromHours(1) }, retry), (batch, _) =>
        {
            if (Interlocked.Increment(ref attempts) < 4)
            {
                throw new TimeoutException("database busy");
            }

            all.Add(batch.Count);
            return ValueTask.CompletedTask;
        }, [Values(2)], retries);

        await all.Done.WaitAsync(Timeout);

        Assert.Equal([1, 2, 3], retries.Attempts.Select(r => r.Attempt));
        for (var retryIndex = 0; retryIndex < 3; retryIndex++)
        {
            var delay = retries.Attempts.ElementAt(retryIndex).Delay;
            Assert.InRange(delay, retry.DelayFor(retryIndex, 0), retry.DelayFor(retryIndex, 0.999_999));
        }
    }

    [Fact]
    public async Task A_retried_batch_tells_the_handler_each_messages_own_attempt()
    {
        var seen = new ConcurrentQueue<(long Offset, int Attempt)[]>();
        var all = Counter(4);
        await using var engine = await BatchEngine.StartAsync(Options(new BatchOptions { MaxMessages = 4, MaxWait = TimeSpan.FromHours(1) }), (batch, _) =>
        {
            seen.Enqueue([.. batch.Select(m => (m.Offset, m.Attempt))]);
            if (seen.Count < 3)
            {
                var failed = batch.ToList().FindIndex(m => m.Offset == 2);
                all.Add(failed); // the ones before it are finished
                throw new BatchFailedException(failed, new TimeoutException("busy"));
            }

            all.Add(batch.Count);
            return ValueTask.CompletedTask;
        }, [Values(4)]);

        await all.Done.WaitAsync(Timeout);

        Assert.Equal([(0L, 1), (1, 1), (2, 1), (3, 1)], seen.ElementAt(0));
        Assert.Equal([(2L, 2), (3, 1)], seen.ElementAt(1)); // the failed message's second attempt; the one after it was not run yet
        Assert.Equal([(2L, 3), (3, 1)], seen.ElementAt(2));
    }

    [Fact]
    public async Task A_partitions_batches_follow_one_another_in_offset_order()
    {
        var handled = new ConcurrentDictionary<int, ConcurrentQueue<long>>();
        var all = Counter(600);
        await using var engine = await BatchEngine.StartAsync(Options(new BatchOptions { MaxMessages = 7, MaxWait = TimeSpan.FromMilliseconds(1) }), async (batch, _) =>
        {
            await Task.Yield();
            var offsets = handled.GetOrAdd(batch[0].Partition, _ => new ConcurrentQueue<long>());
            foreach (var message in batch)
            {
                offsets.Enqueue(message.Offset);
            }

            all.Add(batch.Count);
        }, [Values(200), Values(200), Values(200)]);

        await all.Done.WaitAsync(Timeout);

        Assert.All(handled.Values, offsets => Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)i), offsets));
    }

    [Fact]
    public async Task A_batch_counts_the_messages_it_finished_processed()
    {
        var group = $"batch-metrics-{Guid.NewGuid():N}";
        long processed = 0;
        var six = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "conveyor.messages.processed")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "messaging.consumer.group.name" && Equals(tag.Value, group))
                {
                    if (Interlocked.Add(ref processed, value) >= 6)
                    {
                        six.TrySetResult();
                    }
                }
            }
        });
        listener.Start();
        var failed = 0;
        await using var engine = await BatchEngine.StartAsync(Options(new BatchOptions { MaxMessages = 6, MaxWait = TimeSpan.FromHours(1) }) with { GroupId = group }, (batch, _) =>
        {
            if (Interlocked.Increment(ref failed) == 1)
            {
                throw new BatchFailedException(2, new TimeoutException("busy"));
            }

            return ValueTask.CompletedTask;
        }, [Values(6)]);

        await six.Task.WaitAsync(Timeout);
        await engine.StopAsync();

        Assert.Equal(6, Interlocked.Read(ref processed)); // 2 before the failure, then the 4 from the failed one on
    }

    private static ProcessorOptions Options(BatchOptions batch) => BatchEngine.Options(batch, Retry);

    private static string[] Values(int count) => [.. Enumerable.Range(0, count).Select(i => $"v{i}")];

    private static MessageCounter Counter(int expected) => new(expected);

    /// <summary>Completes once the handler has finished this many messages.</summary>
    private sealed class MessageCounter(int expected)
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _count;

        public Task Done => _done.Task;

        public void Add(int messages)
        {
            if (Interlocked.Add(ref _count, messages) >= expected)
            {
                _done.TrySetResult();
            }
        }
    }

    private sealed class Recorder : IProcessorObserver
    {
        public ConcurrentQueue<(int Attempt, TimeSpan Delay)> Attempts { get; } = new();

        public TaskCompletionSource<(TopicPartitionOffset At, Exception Failure)> Stopped { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnRetrying(TopicPartitionOffset message, int failedAttempt, Exception exception, TimeSpan delay) => Attempts.Enqueue((failedAttempt, delay));

        public void OnPartitionStopped(TopicPartitionOffset message, Exception exception) => Stopped.TrySetResult((message, exception));
    }
}
