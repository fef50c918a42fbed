namespace Conveyor.Processing;

/// <summary>The processor stopped for good: <see cref="Reason"/> says why, the message what to do.</summary>
public sealed class ProcessorStoppedException : ConveyorException
{
    /// <summary>Creates the exception.</summary>
    internal ProcessorStoppedException(ProcessorStopReason reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Reason = reason;
    }

    /// <summary>Why the processor stopped.</summary>
    public ProcessorStopReason Reason { get; }
}
