namespace Conveyor.Processing.Concurrency;

/// <summary>
/// How many handlers run at once, within <see cref="ProcessorOptions.MaxConcurrency"/>. By default
/// the limit is <see cref="ProcessorOptions.MaxConcurrency"/>, changed only by an operator at
/// runtime; with <see cref="Adaptive"/> it follows the handlers' latency and transient failures.
/// </summary>
public sealed record ConcurrencyOptions
{
    /// <summary>
    /// When true, the limit adapts between <see cref="Min"/> and <see cref="ProcessorOptions.MaxConcurrency"/>:
    /// it grows while handler latency stays near the lowest latency seen, and shrinks when latency
    /// rises above it or attempts fail with errors that are retried (a gradient limit, see docs/concurrency.md).
    /// Not for a batch processor (a batch's time grows with its size). Default false.
    /// </summary>
    public bool Adaptive { get; init; }

    /// <summary>
    /// At most this many messages a second start their handler, across the processor's partitions
    /// (retries included), for a downstream with a quota. Waiting for the next one holds no worker
    /// and pauses no partition. Not for a batch processor. Null (the default): no rate limit.
    /// </summary>
    [AllowedRange(0, ExclusiveMinimum = true, Note = "leave it unset for no rate limit")]
    public double? MessagesPerSecond { get; init; }

    /// <summary>
    /// The overload back-off: when 80 % of the last 20 handler attempts failed with errors that are
    /// retried, no handler starts for this long (running ones finish; fetched messages wait, and
    /// back-pressure pauses fetching once the buffer fills) instead of cycling retries against a
    /// downstream that is down. It doubles, up to 8 times, while it trips again at once after
    /// resuming. Said on the status, in a warning log and the <c>conveyor.overload.backoffs</c>
    /// counter. Null (the default): off.
    /// </summary>
    [AllowedRange(10, Note = "leave it unset for no back-off")]
    public TimeSpan? OverloadBackOff { get; init; }

    /// <summary>The lowest limit the adaptive limit goes down to; also where it starts. Between 1 and <see cref="ProcessorOptions.MaxConcurrency"/>. Default 1.</summary>
    [AllowedRange(1)]
    public int Min { get; init; } = 1;
}
