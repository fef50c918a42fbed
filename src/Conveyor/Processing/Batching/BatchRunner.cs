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
    private readonly IProcessorObserver _observer;

    public BatchRunner(BatchHandler<TKey, TValue> handler, RetryOptions retry, IProcessorObserver observer)
    {
        _handler = handler;
        _retry = retry;
        _observer = observer;
    }

    /// <summary>Runs the batch (in offset order) until it finishes or a message fails for good.</summary>
    /// <returns>The messages not run to an end, to be batched again.</returns>
    public async Task<List<BatchEntry<TKey, TValue>>> RunAsync(List<BatchEntry<TKey, TValue>> batch)
    {
        var cancellationToken = batch[0].CancellationToken;
        while (true)
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

            var delay = Backoff(failed.FailedAttempts);
            _observer.OnRetrying(failed.Position, failed.FailedAttempts, failure, delay);
            try
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                batch.ForEach(e => e.Done.TrySetCanceled(cancellationToken));
                return [];
            }
        }
    }

    /// <summary>Exponential back-off from the initial delay, capped, with up to 25 % jitter.</summary>
    private TimeSpan Backoff(int failedAttempts)
    {
        var exponential = _retry.InitialDelay.TotalMilliseconds * Math.Pow(2, Math.Min(failedAttempts - 1, 30));
        var capped = Math.Min(exponential, _retry.MaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(capped * (0.75 + (Random.Shared.NextDouble() * 0.25)));
    }
}
