namespace Conveyor;

/// <summary>The root of the exceptions Conveyor throws for conditions other than caller mistakes.</summary>
public abstract class ConveyorException : Exception
{
    /// <summary>Creates the exception with a message that says what went wrong and what to do.</summary>
    protected ConveyorException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
