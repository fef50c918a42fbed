using Conveyor.Processing;

namespace Conveyor.Hosting;

/// <summary>
/// Handles the messages of a hosted processor. Resolved from a new dependency-injection scope for
/// every message (so scoped services such as a DbContext are per message). Throwing fails the
/// message: it is retried, then goes to the failure action.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public interface IMessageHandler<TKey, TValue>
{
    /// <summary>Handles one message.</summary>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancelled when the processor must stop at once (shutdown or revoke timeout passed).</param>
    ValueTask HandleAsync(MessageContext<TKey, TValue> message, CancellationToken cancellationToken);
}
