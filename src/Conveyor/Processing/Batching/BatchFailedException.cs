namespace Conveyor.Processing.Batching;

/// <summary>
/// Thrown by a <see cref="BatchHandler{TKey, TValue}"/> to say which message of the batch failed:
/// the messages before <see cref="Index"/> are finished (their offsets may be committed), the
/// failed one and those after it are retried; once the failed one has no attempts left it goes to
/// the failure action and the ones after it continue in the next batch.
/// </summary>
public sealed class BatchFailedException : ConveyorException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="index">The position in the batch of the message that failed (0-based).</param>
    /// <param name="innerException">Why it failed; this is what retries and the failure action see.</param>
    public BatchFailedException(int index, Exception innerException)
        : base($"Message {index} of the batch failed: {innerException?.Message}", innerException)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentNullException.ThrowIfNull(innerException);
        Index = index;
    }

    /// <summary>The position in the batch of the message that failed (0-based).</summary>
    public int Index { get; }
}
