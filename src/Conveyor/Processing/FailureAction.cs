namespace Conveyor.Processing;

/// <summary>What happens to a message whose handler failed for good (retries exhausted or not retryable).</summary>
public enum FailureAction
{
    /// <summary>Write it to the dead-letter topic with its failure in headers; its offset passes only once the broker acknowledged that write.</summary>
    DeadLetter,

    /// <summary>Pause its partition and report; the partition's committed offset stays at the failed message.</summary>
    StopPartition,

    /// <summary>Stop the processor with a <see cref="ProcessorStoppedException"/> after committing what is finished.</summary>
    StopProcessor,
}
