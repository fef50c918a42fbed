namespace Conveyor.Processing.Engine;

/// <summary>How a message's run ended, and what the engine does with its offset.</summary>
internal enum ExecutionOutcome
{
    /// <summary>Handled, or dead-lettered and acknowledged: the offset may pass it.</summary>
    Finished,

    /// <summary>Not finished because the processor is stopping: it stays unfinished and is consumed again later.</summary>
    Abandoned,

    /// <summary>Failed for good; its partition stops here.</summary>
    StopPartition,

    /// <summary>Failed for good; the processor stops.</summary>
    StopProcessor,

    /// <summary>
    /// The handler is done and handed something off (<see cref="Execution.Pending"/>): the worker and
    /// the message's ordering lane are free, the message finishes once that is acknowledged.
    /// </summary>
    HandedOff,

    /// <summary>
    /// The handler call failed and is to be retried after <see cref="Execution.RetryDelay"/>: the
    /// worker is free meanwhile, the message keeps its ordering lane (its key or partition waits).
    /// </summary>
    RetryLater,
}

/// <summary>
/// The end of a handler run: its outcome, what it handed off when <see cref="ExecutionOutcome.HandedOff"/>,
/// how long to wait when <see cref="ExecutionOutcome.RetryLater"/>, what it failed with when it failed for good.
/// </summary>
internal readonly record struct Execution(ExecutionOutcome Outcome, IPendingAcknowledgement? Pending = null, TimeSpan RetryDelay = default, Exception? Failure = null)
{
    public static implicit operator Execution(ExecutionOutcome outcome) => new(outcome);
}
