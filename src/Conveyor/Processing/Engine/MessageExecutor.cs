using Confluent.Kafka;
using Polly;
using Polly.Retry;

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
    private readonly IDeserializer<TKey> _keys;
    private readonly IDeserializer<TValue> _values;
    private readonly DeadLetterPublisher? _deadLetters;
    private readonly IProcessorObserver _observer;
    private readonly ResiliencePipeline _retry;

    public MessageExecutor(
        ProcessorOptions options,
        MessageHandler<TKey, TValue> handler,
        IDeserializer<TKey> keys,
        IDeserializer<TValue> values,
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
            (key, value) = Deserialize(item.Result);
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
            case FailureAction.DeadLetter or FailureAction.RetryTopics when _deadLetters is not null:
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

    private (TKey Key, TValue Value) Deserialize(ConsumeResult<byte[]?, byte[]?> result)
    {
        var message = result.Message;
        TKey key;
        try
        {
            key = _keys.Deserialize(message.Key, message.Key is null, new SerializationContext(MessageComponentType.Key, result.Topic, message.Headers));
        }
        catch (Exception e)
        {
            throw new MessageDeserializationException($"The key of {Describe(result.TopicPartitionOffset)} could not be deserialized as {typeof(TKey).Name}: {e.Message}", e);
        }

        try
        {
            var value = _values.Deserialize(message.Value, message.Value is null, new SerializationContext(MessageComponentType.Value, result.Topic, message.Headers));
            return (key, value);
        }
        catch (Exception e)
        {
            throw new MessageDeserializationException($"The value of {Describe(result.TopicPartitionOffset)} could not be deserialized as {typeof(TValue).Name}: {e.Message}", e);
        }
    }

    private static ResiliencePipeline BuildRetry(RetryOptions retry, IProcessorObserver observer)
    {
        if (retry.MaxAttempts <= 1)
        {
            return ResiliencePipeline.Empty;
        }

        return new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = retry.MaxAttempts - 1,
            // Polly's own jittered exponential back-off (decorrelated jitter) can wait less on a
            // later retry than on an earlier one, even less than the initial delay: the delay here
            // doubles, with bounded jitter, as documented.
            DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(retry.DelayFor(args.AttemptNumber, Random.Shared.NextDouble())),
            MaxDelay = retry.MaxDelay,
            ShouldHandle = args => ValueTask.FromResult(
                args.Outcome.Exception is { } e && e is not OperationCanceledException && retry.ShouldRetry(e)),
            OnRetry = args =>
            {
                if (args.Context.Properties.TryGetValue(ItemKey, out var item))
                {
                    observer.OnRetrying(item.Result.TopicPartitionOffset, args.AttemptNumber + 1, args.Outcome.Exception!, args.RetryDelay);
                }

                return ValueTask.CompletedTask;
            },
        }).Build();
    }

    private static string Describe(TopicPartitionOffset at) => $"{at.Topic}[{at.Partition.Value}]@{at.Offset.Value}";

    private readonly record struct FailureRecordDraft(Exception Exception, int Attempts, string Kind);
}
