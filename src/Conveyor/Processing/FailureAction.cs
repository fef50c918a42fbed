namespace Conveyor.Processing;

/// <summary>What happens to a message whose handler failed for good (retries exhausted or not retryable).</summary>
public enum FailureAction
{
    /// <summary>Write it to the dead-letter topic with its failure in headers; its offset passes only once the broker acknowledged that write.</summary>
    DeadLetter,

    /// <summary>Pause its partition and report; the partition's committed offset goes no further than the failed message.</summary>
    StopPartition,

    /// <summary>Stop the processor with a <see cref="ProcessorStoppedException"/> after committing what is finished.</summary>
    StopProcessor,

    /// <summary>
    /// Write it to the next retry topic (<see cref="ProcessorOptions.RetryTopics"/>: <c>orders.retry.1</c>,
    /// <c>orders.retry.2</c>, ...), where it is handled again once its delay has passed, and after the
    /// last one to the dead-letter topic. The processor consumes the retry topics too, and waits for a
    /// message's due time by pausing that retry partition, not by holding a worker. The source
    /// partition moves on at once: a retried message loses its order among its key's messages.
    /// </summary>
    RetryTopics,
}
