namespace Conveyor.Processing.Concurrency;

/// <summary>
/// Where workers report each handler attempt (its latency, and whether it failed with an error that
/// is retried) when something listens: the adaptive limit and the overload back-off.
/// </summary>
internal sealed class HandlerAttempts(Func<Exception, bool> retried, AdaptiveConcurrency? adaptive, OverloadBreaker? breaker, Action<TimeSpan> holdHandlers)
{
    /// <summary>
    /// An attempt that began with <paramref name="running"/> attempts running took <paramref name="latency"/>;
    /// <paramref name="retrying"/>: it failed and is retried; <paramref name="failure"/>: it failed for
    /// good with this (counted when the error is one that is retried: a sign of overload, not of a bad message).
    /// </summary>
    public void Attempted(TimeSpan latency, bool retrying, Exception? failure, int running)
    {
        var failed = retrying || (failure is not null && retried(failure));
        adaptive?.Attempted(latency, failed, running);
        if (breaker?.Attempted(failed) is { } backOff)
        {
            holdHandlers(backOff);
        }
    }
}
