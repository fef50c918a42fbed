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
}
