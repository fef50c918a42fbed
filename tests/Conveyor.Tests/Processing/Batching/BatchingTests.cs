using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Batching;

namespace Conveyor.Tests.Processing.Batching;

/// <summary>Batches without a broker: the collector as the engine calls it, one call per message.</summary>
public class BatchingTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly RetryOptions Retry = new() { MaxAttempts = 3, InitialDelay = TimeSpan.FromMilliseconds(1), MaxDelay = TimeSpan.FromMilliseconds(5) };

    [Fact]
    public async Task A_full_batch_runs_at_once_in_offset_order_without_waiting()
    {
        var batches = new ConcurrentQueue<long[]>();
        using var collector = Collector(new BatchOptions { MaxMessages = 4, MaxWait = TimeSpan.FromHours(1) }, (batch, _) =>
        {
            batches.Enqueue([.. batch.Select(m => m.Offset)]);
            return ValueTask.CompletedTask;
        });

        // Handed over out of order, as concurrent workers may.
        await Task.WhenAll(new long[] { 1, 0, 3, 2, 5, 4, 7, 6 }.Select(o => collector.HandleAsync(Message(0, o), CancellationToken.None).AsTask())).WaitAsync(Timeout);

        Assert.Equal([[0, 1, 2, 3], [4, 5, 6, 7]], batches);
    }

    [Fact]
    public async Task A_batch_that_is_not_full_runs_after_the_wait_and_bytes_bound_a_batch()
    {
        var batches = new ConcurrentQueue<int>();
        using var collector = Collector(new BatchOptions { MaxMessages = 100, MaxBytes = 25, MaxWait = TimeSpan.FromMilliseconds(20) }, (batch, _) =>
        {
            batches.Enqueue(batch.Count);
            return ValueTask.CompletedTask;
        });

        // Values of 10 bytes: at most 2 fit in 25 bytes.
        await Task.WhenAll(Enumerable.Range(0, 5).Select(o => collector.HandleAsync(Message(0, o, new string('x', 10)), CancellationToken.None).AsTask())).WaitAsync(Timeout);

        Assert.Equal(5, batches.Sum());
        Assert.All(batches, count => Assert.True(count <= 2));
    }

    [Fact]
    public async Task A_failing_index_finishes_the_messages_before_it_fails_that_one_after_its_attempts_and_batches_the_rest_again()
    {
        var batches = new ConcurrentQueue<long[]>();
        // A full first batch, no waiting: the test does not depend on timing.
        using var collector = Collector(new BatchOptions { MaxMessages = 6, MaxWait = TimeSpan.FromHours(1) }, (batch, _) =>
        {
            batches.Enqueue([.. batch.Select(m => m.Offset)]);
            var poison = batch.ToList().FindIndex(m => m.Offset == 3);
            return poison >= 0 ? throw new BatchFailedException(poison, new FormatException("offset 3 is malformed")) : ValueTask.CompletedTask;
        });

        var calls = Enumerable.Range(0, 6).Select(o => collector.HandleAsync(Message(0, o), CancellationToken.None).AsTask()).ToList();
        var failure = await Assert.ThrowsAsync<FormatException>(() => calls[3].WaitAsync(Timeout));
        await Task.WhenAll(calls.Where((_, i) => i != 3)).WaitAsync(Timeout);

        Assert.Equal("offset 3 is malformed", failure.Message);
        Assert.Equal([0L, 1, 2, 3, 4, 5], batches.First());
        Assert.Equal(3, batches.Count(b => b.Contains(3L))); // 3 attempts: the whole batch, then twice the rest from the failed one
        Assert.Equal([3L, 4, 5], batches.ElementAt(1));
        Assert.Equal([4L, 5], batches.Last()); // the rest, batched again after the failure
        Assert.True(calls[0].IsCompletedSuccessfully && calls[2].IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_batch_failing_without_an_index_is_retried_whole_and_succeeds()
    {
        var attempts = 0;
        var sizes = new ConcurrentQueue<int>();
        using var collector = Collector(new BatchOptions { MaxMessages = 3, MaxWait = TimeSpan.FromHours(1) }, (batch, _) =>
        {
            sizes.Enqueue(batch.Count);
            return Interlocked.Increment(ref attempts) < 3 ? throw new TimeoutException("database busy") : ValueTask.CompletedTask;
        });

        await Task.WhenAll(Enumerable.Range(0, 3).Select(o => collector.HandleAsync(Message(0, o), CancellationToken.None).AsTask())).WaitAsync(Timeout);

        Assert.Equal([3, 3, 3], sizes);
    }

    [Fact]
    public async Task A_partitions_batches_never_overlap_while_partitions_run_side_by_side()
    {
        var running = new ConcurrentDictionary<int, int>();
        var overlap = false;
        var started = new[] { new TaskCompletionSource(), new TaskCompletionSource() };
        using var collector = Collector(new BatchOptions { MaxMessages = 5, MaxWait = TimeSpan.FromMilliseconds(5) }, async (batch, _) =>
        {
            var partition = batch[0].Partition;
            overlap |= running.AddOrUpdate(partition, 1, (_, n) => n + 1) > 1;
            started[partition].TrySetResult();

            // Each partition's first batch waits until the other partition's has started: only
            // batches running side by side get past this.
            await started[1 - partition].Task.WaitAsync(Timeout);
            await Task.Yield();
            running.AddOrUpdate(partition, 0, (_, n) => n - 1);
        });

        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => collector.HandleAsync(Message(i % 2, i / 2), CancellationToken.None).AsTask())).WaitAsync(Timeout * 2);

        Assert.False(overlap);
    }

    [Fact]
    public async Task Batch_retries_wait_the_same_back_off_as_single_messages_by_the_failed_messages_attempts()
    {
        var retry = new RetryOptions { MaxAttempts = 4, InitialDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromSeconds(1) };
        var retries = new RetryRecorder();
        var attempts = 0;
        using var collector = Collector(new BatchOptions { MaxMessages = 2, MaxWait = TimeSpan.FromHours(1) }, (_, _) =>
            Interlocked.Increment(ref attempts) < 4 ? throw new TimeoutException("database busy") : ValueTask.CompletedTask, retry, retries);

        await Task.WhenAll(Enumerable.Range(0, 2).Select(o => collector.HandleAsync(Message(0, o), CancellationToken.None).AsTask())).WaitAsync(Timeout);

        Assert.Equal([1, 2, 3], retries.Attempts.Select(r => r.Attempt));
        for (var retryIndex = 0; retryIndex < 3; retryIndex++)
        {
            var delay = retries.Attempts.ElementAt(retryIndex).Delay;
            Assert.InRange(delay, retry.DelayFor(retryIndex, 0), retry.DelayFor(retryIndex, 0.999_999));
        }
    }

    private static BatchCollector<string, string> Collector(
        BatchOptions options, BatchHandler<string, string> handler, RetryOptions? retry = null, IProcessorObserver? observer = null) =>
        new(options, new BatchRunner<string, string>(handler, retry ?? Retry, observer ?? new CompositeObserver()));

    private sealed class RetryRecorder : IProcessorObserver
    {
        public ConcurrentQueue<(int Attempt, TimeSpan Delay)> Attempts { get; } = new();

        public void OnRetrying(TopicPartitionOffset message, int failedAttempt, Exception exception, TimeSpan delay) => Attempts.Enqueue((failedAttempt, delay));
    }

    private static MessageContext<string, string> Message(int partition, long offset, string value = "v") =>
        new(new ConsumeResult<byte[]?, byte[]?>
        {
            TopicPartitionOffset = new TopicPartitionOffset("t", partition, offset),
            Message = new Message<byte[]?, byte[]?> { Key = Encoding.UTF8.GetBytes("k"), Value = Encoding.UTF8.GetBytes(value) },
        }, "k", value, 1);
}
