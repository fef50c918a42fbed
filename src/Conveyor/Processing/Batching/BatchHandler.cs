namespace Conveyor.Processing.Batching;

/// <summary>
/// Handles a batch of messages of one partition, in offset order. Returning finishes them all.
/// Throwing <see cref="BatchFailedException"/> says which message failed: the ones before it are
/// finished, the rest are retried; throwing anything else retries the whole batch.
/// </summary>
/// <param name="batch">The messages, in offset order, all from one partition.</param>
/// <param name="cancellationToken">Cancelled when the processor must stop at once.</param>
public delegate ValueTask BatchHandler<TKey, TValue>(IReadOnlyList<MessageContext<TKey, TValue>> batch, CancellationToken cancellationToken);
