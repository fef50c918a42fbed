using Conveyor.Processing;
using Conveyor.Processing.Batching;

namespace Conveyor.Hosting;

/// <summary>
/// Handles the batches of a hosted batch processor. Resolved from a new dependency-injection scope
/// for every batch. Throwing fails the batch: throw a <see cref="BatchFailedException"/> to finish
/// the messages before the failed one.
/// </summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The value type.</typeparam>
public interface IBatchHandler<TKey, TValue>
{
    /// <summary>Handles one batch: messages of one partition, in offset order.</summary>
    /// <param name="batch">The messages.</param>
    /// <param name="cancellationToken">Cancelled when the processor must stop at once (shutdown or revoke timeout passed).</param>
    ValueTask HandleAsync(IReadOnlyList<MessageContext<TKey, TValue>> batch, CancellationToken cancellationToken);
}
