using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Batching;

/// <summary>
/// Runs one run of a partition's messages (<see cref="Dispatcher.TryStartRun"/>) through the batch
/// handler, once, and says how far it got. A failure is one message's, handled by the
/// <see cref="MessageExecutor{TKey, TValue}"/>'s rules as a single message's failure is: the message a
/// <see cref="BatchFailedException"/> names (the first one for any other exception) uses an attempt
/// and is retried after the back-off, or meets the failure action once its attempts are used.
/// </summary>
internal sealed class BatchExecutor<TKey, TValue>
{
    private readonly BatchHandler<TKey, TValue> _handler;
    private readonly MessageExecutor<TKey, TValue> _messages;

    public BatchExecutor(BatchHandler<TKey, TValue> handler, MessageExecutor<TKey, TValue> messages)
    {
        _handler = handler;
        _messages = messages;
    }

    /// <param name="run">The messages, in offset order, all of one partition.</param>
    /// <param name="stopping">Cancelled when the processor stops: no new attempts.</param>
    /// <param name="abort">Cancelled when running handlers must give up; handed to the handler.</param>
    public async ValueTask<RunEnd> ExecuteAsync(List<WorkItem> run, CancellationToken stopping, CancellationToken abort)
    {
        var batch = new List<MessageContext<TKey, TValue>>(run.Count);
        foreach (var item in run)
        {
            try
            {
                batch.Add(await _messages.ContextAsync(item).ConfigureAwait(false));
            }
            catch (Exception e) when (e is MessageDeserializationException or DeclinedMessageException)
            {
                // The batch ends before a message that cannot be read; that one fails on its own
                // when it leads the next run, as a single message would.
                if (batch.Count == 0)
                {
                    return new RunEnd(0, await _messages.UnreadableAsync(item, e, stopping, abort).ConfigureAwait(false));
                }

                break;
            }
        }

        int index;
        Exception failure;
        try
        {
            await _handler(batch, abort).ConfigureAwait(false);
            return new RunEnd(batch.Count, null);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested || abort.IsCancellationRequested)
        {
            return new RunEnd(0, ExecutionOutcome.Abandoned);
        }
        catch (DeclinedMessageException)
        {
            return new RunEnd(0, ExecutionOutcome.Abandoned);
        }
        catch (BatchFailedException e) when (e.Index < batch.Count)
        {
            (index, failure) = (e.Index, e.InnerException!);
        }
        catch (Exception e)
        {
            // No (valid) index: the batch failed as a whole, which counts against its first message.
            (index, failure) = (0, e);
        }

        return new RunEnd(index, await _messages.HandlerFailedAsync(run[index], failure, stopping, abort).ConfigureAwait(false));
    }
}

/// <summary>
/// How a run's handler call ended: its first <see cref="Finished"/> messages are finished; the next
/// one failed with <see cref="Failed"/> when there is one; the rest were not run to an end.
/// </summary>
internal readonly record struct RunEnd(int Finished, Execution? Failed);
