namespace Conveyor.Processing;

/// <summary>A message's key or value could not be deserialized. Not retried by default: it goes straight to the failure action.</summary>
public sealed class MessageDeserializationException : ConveyorException
{
    /// <summary>Creates the exception.</summary>
    internal MessageDeserializationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
