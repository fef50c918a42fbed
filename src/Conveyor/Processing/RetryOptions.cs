namespace Conveyor.Processing;

/// <summary>How failed handler calls are retried: exponential back-off with jitter, a bounded number of attempts.</summary>
public sealed record RetryOptions
{
    /// <summary>Attempts in all, the first included; 1 means no retry. Default 3.</summary>
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Delay before the first retry; later ones double, with jitter. Default 200 ms.</summary>
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Upper bound of one delay. Default 10 s.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Which exceptions are worth retrying; null retries every exception except a
    /// <see cref="MessageDeserializationException"/> (a malformed message stays malformed).
    /// </summary>
    public Func<Exception, bool>? IsRetryable { get; init; }

    internal bool ShouldRetry(Exception exception) =>
        exception is not MessageDeserializationException && (IsRetryable?.Invoke(exception) ?? true);
}
