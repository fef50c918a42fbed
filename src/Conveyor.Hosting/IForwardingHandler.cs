using Conveyor.Processing;
using Conveyor.Processing.Forwarding;

namespace Conveyor.Hosting;

/// <summary>
/// Turns the messages of a hosted forwarder into the records to write. Resolved from a new
/// dependency-injection scope for every message. Throwing fails the message: it is retried, then
/// goes to the failure action.
/// </summary>
/// <typeparam name="TKey">The input key type.</typeparam>
/// <typeparam name="TValue">The input value type.</typeparam>
public interface IForwardingHandler<TKey, TValue>
{
    /// <summary>Returns the records to write for one message (none drops it).</summary>
    /// <param name="message">The input message.</param>
    /// <param name="cancellationToken">Cancelled when the forwarder must stop at once (shutdown or revoke timeout passed).</param>
    ValueTask<IReadOnlyList<OutputRecord>> HandleAsync(MessageContext<TKey, TValue> message, CancellationToken cancellationToken);
}
