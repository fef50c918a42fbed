namespace Conveyor.Processing;

/// <summary>
/// How failed handler calls are retried: the delay doubles from <see cref="InitialDelay"/> with
/// each retry, ±20 % jitter, capped at <see cref="MaxDelay"/>; a bounded number of attempts.
/// </summary>
public sealed record RetryOptions
{
    /// <summary>Attempts in all, the first included; 1 means no retry. Default 3.</summary>
    [AllowedRange(1)]
    public int MaxAttempts { get; init; } = 3;

    /// <summary>Delay before the first retry; later ones double, each with ±20 % jitter. Default 200 ms.</summary>
    [AllowedRange(0)]
    public TimeSpan InitialDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Upper bound of one delay. Default 10 s.</summary>
    [AllowedRange(0)]
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Which exceptions are worth retrying; null retries every exception except a
    /// <see cref="MessageDeserializationException"/> (a malformed message stays malformed).
    /// </summary>
    public Func<Exception, bool>? IsRetryable { get; init; }

    /// <summary>The share of a delay that jitter may add or take away.</summary>
    internal const double Jitter = 0.2;

    /// <summary>
    /// The delay before retry <paramref name="retry"/> (0 for the first): <see cref="InitialDelay"/>
    /// × 2^retry × (1 ± <see cref="Jitter"/>, from <paramref name="random"/> in [0, 1)), never above <see cref="MaxDelay"/>.
    /// </summary>
    internal TimeSpan DelayFor(int retry, double random)
    {
        var doubled = InitialDelay.TotalMilliseconds * Math.Pow(2, Math.Min(retry, 62));
        var jittered = doubled * (1 - Jitter + (2 * Jitter * random));
        return TimeSpan.FromMilliseconds(Math.Min(jittered, MaxDelay.TotalMilliseconds));
    }

    internal bool ShouldRetry(Exception exception) =>
        exception is not MessageDeserializationException && (IsRetryable?.Invoke(exception) ?? true);
}
