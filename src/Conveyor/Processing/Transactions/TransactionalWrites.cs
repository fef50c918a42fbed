using Confluent.Kafka;
using Conveyor.Processing.Engine;
using Conveyor.Processing.Forwarding;

namespace Conveyor.Processing.Transactions;

/// <summary>
/// An exactly-once forwarder's writes: an input's outputs go into the open transaction and are
/// waited for, so that a transaction never commits an input's offset without its outputs, nor
/// outputs of an input it does not cover. A failed write makes the transaction abortable, so it
/// is aborted and every owned partition read again; what becomes of the input depends on the error:
/// <list type="bullet">
/// <item>fatal: the producer is unusable, the processor stops (this message stays unfinished);</item>
/// <item>permanent (<see cref="PermanentOutputErrors"/>): the same records would fail again, so it
/// counts as a failed attempt of the input (an <see cref="OutputDeliveryException"/> out of the
/// handler), which reaches its failure action like any handler failure;</item>
/// <item>otherwise (a timeout, the transaction's own trouble): the input runs again in the next
/// transaction, no attempt counted.</item>
/// </list>
/// </summary>
/// <param name="producer">The transactional producer's output writer.</param>
/// <param name="transactions">The transaction the outputs go into.</param>
/// <param name="stopOnFatal">Stops the processor when the producer failed fatally.</param>
/// <param name="stopping">The processor's stop, for the cancellation a fatal failure ends the message with.</param>
internal sealed class TransactionalWrites(OutputProducer producer, TransactionCoordinator transactions, Action<Error> stopOnFatal, CancellationToken stopping)
{
    /// <summary>
    /// Writes <paramref name="outputs"/> of <paramref name="item"/>; the outputs as written, or null
    /// when a temporary failure aborts the transaction (the message runs again in the next one).
    /// </summary>
    /// <exception cref="DeclinedMessageException">The message's partition went before it wrote: it writes nothing and stays unfinished.</exception>
    /// <exception cref="OutputDeliveryException">An output failed permanently: a failed attempt of the input.</exception>
    /// <exception cref="OperationCanceledException">The producer failed fatally: the processor stops.</exception>
    public async ValueTask<IReadOnlyList<TopicPartitionOffset>?> WriteAsync(WorkItem item, IReadOnlyList<OutputRecord> outputs, CancellationToken cancellationToken)
    {
        // From here until the engine marked the message finished, no transaction commits
        // (TransactionGate); a message whose partition went meanwhile writes nothing.
        if (!await transactions.Gate.EnterAsync(item).ConfigureAwait(false))
        {
            throw new DeclinedMessageException();
        }

        try
        {
            var written = await producer.SendAllAsync(outputs, cancellationToken).ConfigureAwait(false);
            transactions.Produced();
            return written;
        }
        catch (OutputDeliveryException e) when (e.Errors.FirstOrDefault(error => error.IsFatal) is { } fatal)
        {
            // Every later output would fail too: stop rather than send every message to the failure action.
            stopOnFatal(fatal);
            throw new OperationCanceledException("The output producer failed fatally.", e, stopping);
        }
        catch (OutputDeliveryException e) when (e.Errors.FirstOrDefault(PermanentOutputErrors.Contains) is { } permanent)
        {
            transactions.RequestAbort(permanent);
            var at = item.Result.TopicPartitionOffset;
            var topics = string.Join(", ", outputs.Select(o => $"'{o.Topic}'").Distinct());
            throw new OutputDeliveryException(
                $"The outputs of {Positions.Of(at)} to {topics} failed for good ({permanent.Code}: {permanent.Reason}): "
                + "its transaction is aborted and this counts as a failed attempt of the message. Check the records' size against message.max.bytes, that the topics exist and that this client may write to them.",
                e.Errors,
                e);
        }
        catch (OutputDeliveryException e)
        {
            // Its finish never counts: the abort rewinds the partition and the message runs again.
            transactions.RequestAbort(e.Errors[0]);
            return null;
        }
    }
}
