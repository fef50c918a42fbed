using Confluent.Kafka;

namespace Conveyor.Processing.Forwarding;

/// <summary>
/// Some outputs of a message were not acknowledged by the broker, so the message is not finished:
/// it is retried (every output is written again), then goes to the failure action.
/// </summary>
public sealed class OutputDeliveryException : ConveyorException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="errors">The error of each output that was not acknowledged.</param>
    /// <param name="innerException">The first delivery failure.</param>
    internal OutputDeliveryException(string message, IReadOnlyList<Error> errors, Exception? innerException = null)
        : base(message, innerException)
    {
        Errors = errors;
    }

    /// <summary>The error of each output that was not acknowledged.</summary>
    public IReadOnlyList<Error> Errors { get; }
}
