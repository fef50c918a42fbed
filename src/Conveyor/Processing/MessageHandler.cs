namespace Conveyor.Processing;

/// <summary>Handles one message. Throwing fails it: it is retried, then goes to the failure action.</summary>
/// <param name="message">The message.</param>
/// <param name="cancellationToken">Cancelled when the processor must stop at once (shutdown or revoke timeout passed).</param>
public delegate ValueTask MessageHandler<TKey, TValue>(MessageContext<TKey, TValue> message, CancellationToken cancellationToken);
