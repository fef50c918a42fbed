namespace Conveyor.Processing.Forwarding;

/// <summary>
/// Transforms one input message into the records to forward (any number, to any topics; none
/// drops it). Throwing fails the message: it is retried, then goes to the failure action.
/// </summary>
/// <param name="message">The input message.</param>
/// <param name="cancellationToken">Cancelled when the processor must stop at once.</param>
/// <returns>The records to write; the input is finished once the broker acknowledged all of them.</returns>
public delegate ValueTask<IReadOnlyList<OutputRecord>> ForwardingHandler<TKey, TValue>(MessageContext<TKey, TValue> message, CancellationToken cancellationToken);
