using Confluent.Kafka;
using Conveyor.Serialization;
using Polly;

namespace Conveyor.Processing.Engine;

/// <summary>
/// Runs one message: deserializes it, calls the handler with retries (Polly: exponential back-off
/// with jitter), and applies the failure action when it fails for good. Never lets a failure pass
/// silently: every failed message is dead-lettered (and acknowledged), or stops its partition or the processor.
/// </summary>
internal sealed class MessageExecutor<TKey, TValue>
{
    private static readonly ResiliencePropertyKey<WorkItem> ItemKey = new("conveyor.item");

    private readonly ProcessorOptions _options;
    private readonly MessageHandler<TKey, TValue> _handler;
    private readonly MessageDeserializer<TKey> _keys;
    private readonly MessageDeserializer<TValue> _values;
    private readonly DeadLetterPublisher? _deadLetters;
    private readonly IProcessorObserver _observer;
    private readonly ResiliencePipeline _retry;

    public MessageExecutor(
        ProcessorOptions options,
        MessageHandler<TKey, TValue> handler,
        MessageDeserializer<TKey> keys,
        MessageDeserializer<TValue> values,
        DeadLetterPublisher? deadLetters,
        IProcessorObserver observer)
    {
        _options = options;
        _handler = handler;
        _keys = keys;
        _values = values;
        _deadLetters = deadLetters;
        _observer = observer;
        _retry = BuildRetry(options.Retry, observer);
    }

    /// <summary>The exception that made the last <see cref="ExecutionOutcome.StopProcessor"/>.</summary>
    public Exception? StopReason { get; private set; }

    /// <param name="item">The message.</param>
    /// <param name="stopping">Cancelled when the processor stops: no new attempts start.</param>
    /// <param name="abort">Cancelled when running handlers must give up (stop timeout passed); handed to the handler.</param>
    public async Task<ExecutionOutcome> ExecuteAsync(WorkItem item, CancellationToken stopping, CancellationToken abort)
    {
        TKey key;
        TValue value;
        try
        {
            (key, value) = await DeserializeAsync(item.Result).ConfigureAwait(false);
        }
        catch (MessageDeserializationException e)
        {
            return await FailAsync(item, new FailureRecordDraft(e, 0, "deserialization"), stopping).ConfigureAwait(false);
        }

        var attempts = 0;
        var context = ResilienceContextPool.Shared.Get(stopping);
        context.Properties.Set(ItemKey, item);
        try
        {
            await _retry.ExecuteAsync(
                async _ =>
                {
                    attempts++;
                    await _handler(new MessageContext<TKey, TValue>(item.Result, key, value, attempts), abort).ConfigureAwait(false);
                },
                context).ConfigureAwait(false);
            return ExecutionOutcome.Finished;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested || abort.IsCancellationRequested)
        {
            return ExecutionOutcome.Abandoned;
        }
        catch (Exception e)
        {
            return await FailAsync(item, new FailureRecordDraft(e, attempts, "handler"), stopping).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async Task<ExecutionOutcome> FailAsync(WorkItem item, FailureRecordDraft failure, CancellationToken stopping)
    {
        var at = item.Result.TopicPartitionOffset;
        switch (_options.OnFailure)
        {
            case FailureAction.DeadLetter when _deadLetters is not null:
                try
                {
                    var record = new FailureRecord(failure.Exception, failure.Attempts, failure.Kind, _options.GroupId, DateTimeOffset.UtcNow);
                    var written = await _deadLetters.PublishAsync(item.Result, record, stopping).ConfigureAwait(false);
                    _observer.OnDeadLettered(at, written, failure.Exception);
                    return ExecutionOutcome.Finished;
                }
                catch (Exception e) when (e is KafkaException or OperationCanceledException)
                {
                    // Not acknowledged: the offset must not pass the message, so its partition stops.
                    var reason = new InvalidOperationException(
                        $"Could not write {Describe(at)} to the dead-letter topic '{_options.DeadLetterTopicFor(at.Topic)}' ({e.Message}); "
                        + "the partition stops at this message so that it is not lost. Check that the topic exists and this client may write to it.",
                        failure.Exception);
                    _observer.OnPartitionStopped(at, reason);
                    return ExecutionOutcome.StopPartition;
                }

            case FailureAction.StopProcessor:
                StopReason = failure.Exception;
                _observer.OnPartitionStopped(at, failure.Exception);
                return ExecutionOutcome.StopProcessor;

            default:
                _observer.OnPartitionStopped(at, failure.Exception);
                return ExecutionOutcome.StopPartition;
        }
    }

    private async ValueTask<(TKey Key, TValue Value)> DeserializeAsync(ConsumeResult<byte[]?, byte[]?> result)
    {
        var message = result.Message;
        TKey key;
        try
        {
            key = await _keys.DeserializeAsync(message.Key, new SerializationContext(MessageComponentType.Key, result.Topic, message.Headers)).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            throw new MessageDeserializationException($"The key of {Describe(result.TopicPartitionOffset)} could not be deserialized as {typeof(TKey).Name}: {e.Message}", e);
        }

        try
        {
            var value = await _values.DeserializeAsync(message.Value, new SerializationContext(MessageComponentType.Value, result.Topic, message.Headers)).ConfigureAwait(false);
            return (key, value);
        }
        catch (Exception e)
        {
            throw new MessageDeserializationException($"The value of {Describe(result.TopicPartitionOffset)} could not be deserialized as {typeof(TValue).Name}: {e.Message}", e);
        }
    }

    private static ResiliencePipeline BuildRetry(RetryOptions retry, IProcessorObserver observer) =>
        retry.MaxAttempts <= 1
            ? ResiliencePipeline.Empty
            : RetryBackoff.Build(
                retry,
                retry.MaxAttempts - 1,
                (attempt, _) => attempt,
                e => e is not OperationCanceledException && retry.ShouldRetry(e),
                (context, attempt, exception, delay) =>
                {
                    if (context.Properties.TryGetValue(ItemKey, out var item))
                    {
                        observer.OnRetrying(item.Result.TopicPartitionOffset, attempt + 1, exception, delay);
                    }
                });

    private static string Describe(TopicPartitionOffset at) => $"{at.Topic}[{at.Partition.Value}]@{at.Offset.Value}";

    private readonly record struct FailureRecordDraft(Exception Exception, int Attempts, string Kind);
}
