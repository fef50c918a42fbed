using System.Runtime.CompilerServices;
using Confluent.Kafka;
using Conveyor.Processing.Forwarding;
using Conveyor.Serialization;

namespace Conveyor.Processing.Engine;

/// <summary>
/// Runs one message: deserializes it, calls the handler, retries failed calls with exponential
/// back-off and jitter (<see cref="RetryOptions"/>), and applies the failure action when it fails
/// for good. The first call costs no retry machinery: a message that succeeds at once pays only for
/// the call. Never lets a failure pass silently: every failed message is dead-lettered (and
/// acknowledged), or stops its partition or the processor.
/// </summary>
internal sealed class MessageExecutor<TKey, TValue>
{
    private readonly ProcessorOptions _options;
    private readonly StagedHandler<TKey, TValue> _handler;
    private readonly MessageReader<TKey, TValue> _reader;
    private readonly IDeadLetterWriter? _deadLetters;
    private readonly IProcessorObserver _observer;
    private readonly EngineRuntime _runtime;

    public MessageExecutor(
        ProcessorOptions options,
        StagedHandler<TKey, TValue> handler,
        MessageDeserializer<TKey> keys,
        MessageDeserializer<TValue> values,
        IDeadLetterWriter? deadLetters,
        IProcessorObserver observer,
        EngineRuntime? runtime = null)
    {
        _runtime = runtime ?? EngineRuntime.Default;
        _options = options;
        _handler = handler;
        _reader = new MessageReader<TKey, TValue>(keys, values);
        _deadLetters = deadLetters;
        _observer = observer;
    }

    /// <summary>The exception that made the last <see cref="ExecutionOutcome.StopProcessor"/>.</summary>
    public Exception? StopReason { get; private set; }

    /// <param name="item">The message.</param>
    /// <param name="stopping">Cancelled when the processor stops: no new attempts start.</param>
    /// <param name="abort">Cancelled when running handlers must give up (stop timeout passed); handed to the handler.</param>
    /// <remarks>
    /// Its state machine is pooled: a forwarder's handler waits for room in the output window for
    /// many messages, and each wait made one (awaited once, by the worker, as pooling requires).
    /// </remarks>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<Execution> ExecuteAsync(WorkItem item, CancellationToken stopping, CancellationToken abort)
    {
        if (item.Attempts > 0 && item.Partition.Attempts.GaveUp(item.Offset) is { } gaveUp)
        {
            return await AfterGivingUpAsync(item, gaveUp.Failure, gaveUp.Settled, stopping, abort).ConfigureAwait(false);
        }

        TKey key;
        TValue value;
        try
        {
            (key, value) = await _reader.ReadAsync(item.Result).ConfigureAwait(false);
        }
        catch (MessageDeserializationException e)
        {
            return new Execution(await FailAsync(item, new FailureRecordDraft(e, 0, "deserialization"), stopping, abort).ConfigureAwait(false), Failure: e);
        }
        catch (DeclinedMessageException)
        {
            return ExecutionOutcome.Abandoned;
        }

        var attempt = item.Attempts + 1;
        try
        {
            var pending = await _handler(new MessageContext<TKey, TValue>(item, key, value, attempt), abort).ConfigureAwait(false);
            return pending is null ? ExecutionOutcome.Finished : new Execution(ExecutionOutcome.HandedOff, pending);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested || abort.IsCancellationRequested)
        {
            return ExecutionOutcome.Abandoned;
        }
        catch (DeclinedMessageException)
        {
            return ExecutionOutcome.Abandoned;
        }
        catch (OutputDeliveryException e) when (_options.Guarantee == DeliveryGuarantee.ExactlyOnce)
        {
            return OutputFailedForGood(item, e);
        }
        catch (Exception e)
        {
            return await HandlerFailedAsync(item, e, stopping, abort).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Exactly-once: an output of this attempt failed permanently (<c>Transactions.TransactionalWrites</c>),
    /// and its transaction is aborted: every owned partition is read again, this message too. The
    /// attempt counts (it survives the rewind: <c>FailedAttempts</c>); the message stays unfinished
    /// and runs again when it comes back, or, with no attempt left, gets its failure action then
    /// (<see cref="AfterGivingUpAsync"/>), not now: a dead letter and a finish now would be undone by
    /// the rewind, and the message would write its outputs again and fail again without end. The
    /// retry's back-off is not waited: the abort's rewind is the pause.
    /// </summary>
    private Execution OutputFailedForGood(WorkItem item, OutputDeliveryException failure)
    {
        var attempt = ++item.Attempts;
        if (attempt >= _options.Retry.MaxAttempts || !_options.Retry.ShouldRetry(failure))
        {
            item.Partition.Attempts.GiveUp(item.Offset, failure);
        }

        return new Execution(ExecutionOutcome.Abandoned, Failure: failure);
    }

    /// <summary>
    /// Exactly-once: the message failed for good in a transaction that was aborted
    /// (<see cref="OutputFailedForGood"/>) and came back with the rewind. Its handler does not run
    /// again: the failure action is applied now, with the failure it gave up with, or, when it
    /// already was and another abort brought the message back, the message is finished (its dead
    /// letter is written once).
    /// </summary>
    private async ValueTask<Execution> AfterGivingUpAsync(WorkItem item, Exception failure, bool settled, CancellationToken stopping, CancellationToken abort)
    {
        if (settled)
        {
            return ExecutionOutcome.Finished;
        }

        var outcome = await FailAsync(item, new FailureRecordDraft(failure, item.Attempts, "output"), stopping, abort).ConfigureAwait(false);
        if (outcome == ExecutionOutcome.Finished)
        {
            item.Partition.Attempts.Settle(item.Offset);
        }

        return new Execution(outcome, Failure: failure);
    }

    /// <summary>
    /// A handler call failed at this message, alone or in a batch (where the attempt counts against
    /// the message the batch failed at): another attempt after a back-off
    /// (<see cref="ExecutionOutcome.RetryLater"/>) while it has attempts left, else the failure action.
    /// </summary>
    public async ValueTask<Execution> HandlerFailedAsync(WorkItem item, Exception failure, CancellationToken stopping, CancellationToken abort)
    {
        var attempt = ++item.Attempts;
        if (RetryDelay(item, attempt, failure, stopping) is { } delay)
        {
            return new Execution(ExecutionOutcome.RetryLater, RetryDelay: delay);
        }

        return stopping.IsCancellationRequested
            ? ExecutionOutcome.Abandoned
            : new Execution(await FailAsync(item, new FailureRecordDraft(failure, attempt, "handler"), stopping, abort).ConfigureAwait(false), Failure: failure);
    }

    /// <summary>The message as a handler sees it; throws <see cref="MessageDeserializationException"/> or <see cref="DeclinedMessageException"/> (see <see cref="UnreadableAsync"/>).</summary>
    public async ValueTask<MessageContext<TKey, TValue>> ContextAsync(WorkItem item)
    {
        var (key, value) = await _reader.ReadAsync(item.Result).ConfigureAwait(false);
        return new MessageContext<TKey, TValue>(item.Result, key, value, item.Attempts + 1);
    }

    /// <summary>What becomes of a message <see cref="ContextAsync"/> could not read: the failure action, as for a single message, or abandoned when declined.</summary>
    public async ValueTask<Execution> UnreadableAsync(WorkItem item, Exception failure, CancellationToken stopping, CancellationToken abort) =>
        failure is MessageDeserializationException
            ? new Execution(await FailAsync(item, new FailureRecordDraft(failure, 0, "deserialization"), stopping, abort).ConfigureAwait(false), Failure: failure)
            : ExecutionOutcome.Abandoned;

    /// <summary>
    /// What a handler handed off (<see cref="ExecutionOutcome.HandedOff"/>) failed with
    /// <paramref name="failure"/>: sends again what was not acknowledged, with the same retries as a
    /// handler call, then applies the failure action. Runs on no worker: the message holds only its
    /// place in the offsets.
    /// </summary>
    /// <param name="item">The message.</param>
    /// <param name="pending">What it handed off.</param>
    /// <param name="failure">Why that failed.</param>
    /// <param name="stopping">Cancelled when the processor stops: no more retries.</param>
    /// <param name="abort">Cancelled when the stop timeout passed: a dead letter under way gives up.</param>
    public async Task<ExecutionOutcome> RecoverAsync(WorkItem item, IPendingAcknowledgement pending, Exception failure, CancellationToken stopping, CancellationToken abort)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (failure is OperationCanceledException)
            {
                return ExecutionOutcome.Abandoned;
            }

            if (!await WaitToRetryAsync(item, attempt, failure, stopping).ConfigureAwait(false))
            {
                return stopping.IsCancellationRequested
                    ? ExecutionOutcome.Abandoned
                    : await FailAsync(item, new FailureRecordDraft(failure, attempt, "output"), stopping, abort).ConfigureAwait(false);
            }

            try
            {
                await pending.Resend().SettledAsync(item, _runtime.DrainCompletion).ConfigureAwait(false);
                return ExecutionOutcome.Finished;
            }
            catch (Exception e)
            {
                failure = e;
            }
        }
    }

    /// <summary>
    /// After failed attempt <paramref name="attempt"/>: when another is allowed, reports the retry
    /// and returns its delay; null when the message failed for good, or the processor is stopping.
    /// </summary>
    private TimeSpan? RetryDelay(WorkItem item, int attempt, Exception failure, CancellationToken stopping)
    {
        var retry = _options.Retry;
        if (attempt >= retry.MaxAttempts || !retry.ShouldRetry(failure) || stopping.IsCancellationRequested)
        {
            return null;
        }

        var delay = retry.DelayFor(attempt - 1, _runtime.Jitter());
        _observer.OnRetrying(item.Result.TopicPartitionOffset, attempt, failure, delay);
        return delay;
    }

    /// <summary>As <see cref="RetryDelay"/>, then waits out the delay; false when there is no retry or the processor stops meanwhile.</summary>
    private async Task<bool> WaitToRetryAsync(WorkItem item, int attempt, Exception failure, CancellationToken stopping)
    {
        if (RetryDelay(item, attempt, failure, stopping) is not { } delay)
        {
            return false;
        }

        try
        {
            await Task.Delay(delay, _runtime.Time, stopping).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>
    /// Applies the failure action. A dead letter under way is written even when the processor is
    /// stopping (<paramref name="stopping"/>): the stop drains in-flight work and waits for it; only
    /// <paramref name="abort"/> (the stop timeout passed) gives it up, and then the message stays
    /// unfinished rather than blaming the topic.
    /// </summary>
    private async Task<ExecutionOutcome> FailAsync(WorkItem item, FailureRecordDraft failure, CancellationToken stopping, CancellationToken abort)
    {
        var at = item.Result.TopicPartitionOffset;
        switch (_options.OnFailure)
        {
            case FailureAction.DeadLetter or FailureAction.RetryTopics when _deadLetters is not null:
                try
                {
                    var record = new FailureRecord(failure.Exception, failure.Attempts, failure.Kind, _options.GroupId, _runtime.Time.GetUtcNow());
                    var publishing = _deadLetters.PublishAsync(item.Result, record, abort);
                    if ((_runtime.Bugs & ReintroducedBugs.RetryWriteFinishesAtHandOff) != 0 && _options.OnFailure == FailureAction.RetryTopics)
                    {
                        _ = publishing.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                        return ExecutionOutcome.Finished;
                    }

                    var written = await publishing.ConfigureAwait(false);
                    _observer.OnDeadLettered(at, written, failure.Exception);
                    return ExecutionOutcome.Finished;
                }
                catch (OperationCanceledException) when (abort.IsCancellationRequested)
                {
                    // The stop timeout passed before the acknowledgement: not the topic's fault, and not
                    // finished either, so the offset stays here and the message is consumed again later.
                    return ExecutionOutcome.Abandoned;
                }
                catch (Exception e) when (e is KafkaException or OperationCanceledException)
                {
                    // Not acknowledged: the offset must not pass the message, so its partition stops.
                    // The failed write names its topic: a retry topic's write is no dead letter's.
                    var topic = e is ProduceException<byte[]?, byte[]?> { DeliveryResult.Topic: { Length: > 0 } written } ? written : _options.DeadLetterTopicFor(at.Topic);
                    var kind = topic == _options.DeadLetterTopicFor(at.Topic) ? "dead-letter" : "retry";
                    var reason = new InvalidOperationException(
                        $"Could not write {Positions.Of(at)} to the {kind} topic '{topic}' ({e.Message}); "
                        + "the partition stops at this message so that it is not lost. Check that the topic exists and this client may write to it.",
                        failure.Exception);
                    ReportStop(item, reason);
                    return ExecutionOutcome.StopPartition;
                }

            case FailureAction.StopProcessor:
                StopReason = failure.Exception;
                ReportStop(item, failure.Exception);
                return ExecutionOutcome.StopProcessor;

            default:
                ReportStop(item, failure.Exception);
                return ExecutionOutcome.StopPartition;
        }
    }

    /// <summary>
    /// A partition stops once, so it is reported once: at the first message that stops it (its committed
    /// offset stays there, or below it if an earlier message of another key never finishes). Another
    /// message in flight that fails for good afterwards (key ordering) stays unfinished behind that stop
    /// and is not reported as a second stop.
    /// </summary>
    private void ReportStop(WorkItem item, Exception reason)
    {
        if (item.Partition.ClaimStopReport())
        {
            _observer.OnPartitionStopped(item.Result.TopicPartitionOffset, reason);
        }
    }


    private readonly record struct FailureRecordDraft(Exception Exception, int Attempts, string Kind);
}
