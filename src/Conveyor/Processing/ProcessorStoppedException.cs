namespace Conveyor.Processing;

/// <summary>The processor stopped because a message failed and the failure action was <see cref="FailureAction.StopProcessor"/>, or because the client hit a fatal error.</summary>
public sealed class ProcessorStoppedException : ConveyorException
{
    /// <summary>Creates the exception.</summary>
    internal ProcessorStoppedException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
