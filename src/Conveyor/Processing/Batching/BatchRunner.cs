using Polly;

namespace Conveyor.Processing.Batching;

/// <summary>
/// Runs one batch with retries. On success every message finishes. On a failure the messages
/// before the failed one (<see cref="BatchFailedException.Index"/>, or 0 for any other exception)
/// finish, and the rest is retried after a back-off; once the failed message has used its
/// attempts it is failed (its engine call throws, so the failure action applies) and the messages
/// after it are handed back to be batched again.
/// </summary>
internal sealed class BatchRunner<TKey, TValue>
{
    private readonly BatchHandler<TKey, TValue> _handler;
    private readonly RetryOptions _retry;
    private readonly ResiliencePipeline _backoff;

    public BatchRunner(BatchHandler<TKey, TValue> handler, RetryOptions retry, IProcessorObserver observer)
    {
        _handler = handler;
        _retry = retry;

        // Attempts are counted per message, not per batch: a batch may be retried more often than
        // MaxAttempts as long as each failure is a different message's, so Polly's own count is
        // unbounded and the delay follows the failed message's attempts.
        _backoff = RetryBackoff.Build(
            retry,
            int.MaxValue,
            (_, e) => ((RetryBatch)e).Failed.FailedAttempts - 1,
            e => e is RetryBatch,
            (_, _, e, delay) =>
            {
                var retrying = (RetryBatch)e;
                observer.OnRetrying(retrying.Failed.Position, retrying.Failed.FailedAttempts, retrying.Failure, delay);
            });
    }

    /// <summary>Runs the batch (in offset order) until it finishes or a message fails for good.</summary>
    /// <returns>The messages not run to an end, to be batched again.</returns>
    public async Task<List<BatchEntry<TKey, TValue>>> RunAsync(List<BatchEntry<TKey, TValue>> batch)
    {
        var cancellationToken = batch[0].CancellationToken;
        try
        {
            return await _backoff.ExecuteAsync(
                async _ =>
                {
                    try
                    {
                        return await RunOnceAsync(batch, cancellationToken).ConfigureAwait(false);
                    }
                    catch (RetryBatch retry)
                    {
                        batch = retry.Rest;
                        throw;
                    }
                },
                cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Cancelled during a back-off.
            batch.ForEach(e => e.Done.TrySetCanceled(cancellationToken));
            return [];
        }
    }

    /// <summary>One call of the handler; throws <see cref="RetryBatch"/> when what is left of the batch is to run again.</summary>
    /// <returns>The messages to batch again.</returns>
    private async Task<List<BatchEntry<TKey, TValue>>> RunOnceAsync(
        List<BatchEntry<TKey, TValue>> batch, CancellationToken cancellationToken)
    {
        int index;
        Exception failure;
        try
        {
            await _handler([.. batch.Select(e => e.Message)], cancellationToken).ConfigureAwait(false);
            batch.ForEach(e => e.Done.TrySetResult());
            return [];
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            batch.ForEach(e => e.Done.TrySetCanceled(cancellationToken));
            return [];
        }
        catch (BatchFailedException e) when (e.Index < batch.Count)
        {
            (index, failure) = (e.Index, e.InnerException!);
        }
        catch (Exception e)
        {
            // No (valid) index: the batch failed as a whole, which counts against its first message.
            (index, failure) = (0, e);
        }

        batch[..index].ForEach(e => e.Done.TrySetResult());
        batch = batch[index..];
        var failed = batch[0];
        failed.FailedAttempts++;
        if (failed.FailedAttempts >= _retry.MaxAttempts || !_retry.ShouldRetry(failure))
        {
            failed.Done.TrySetException(failure);
            return batch[1..];
        }

        throw new RetryBatch(failed, failure, batch);
    }

    /// <summary>What is left of a batch runs again after a back-off, for its first message's sake.</summary>
    private sealed class RetryBatch(BatchEntry<TKey, TValue> failed, Exception failure, List<BatchEntry<TKey, TValue>> rest) : Exception(failure.Message, failure)
    {
        public BatchEntry<TKey, TValue> Failed => failed;

        public Exception Failure => InnerException!;

        public List<BatchEntry<TKey, TValue>> Rest => rest;
    }
}
