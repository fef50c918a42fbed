using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Engine;
using Conveyor.Processing.RetryTopics;
using Conveyor.Serialization;

namespace Conveyor.Testing;

/// <summary>
/// Runs a handler through the engine's own failure rules without a broker: the same code a
/// processor runs for one message (retries while <see cref="RetryOptions.MaxAttempts"/> and
/// <see cref="RetryOptions.IsRetryable"/> allow, then <see cref="ProcessorOptions.OnFailure"/>).
/// Back-off delays are reported, not waited for; a dead letter or retry-topic record is recorded,
/// not written.
/// </summary>
public static class HandlerRun
{
    /// <summary>Calls <paramref name="handler"/> with <paramref name="key"/> and <paramref name="value"/> until the message is handled or failed for good.</summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <typeparam name="TValue">The value type.</typeparam>
    /// <param name="handler">The handler under test.</param>
    /// <param name="key">The key it is given.</param>
    /// <param name="value">The value it is given.</param>
    /// <param name="options">The retry and failure options (<see cref="ProcessorOptions.Retry"/>, <see cref="ProcessorOptions.OnFailure"/>, dead-letter and retry topics); null: the defaults, group <c>test</c>.</param>
    /// <param name="topic">The topic the message comes from. Default <c>test</c>.</param>
    /// <param name="cancellationToken">Handed to the handler.</param>
    /// <returns>What became of the message.</returns>
    public static async Task<HandlerRunResult> RunAsync<TKey, TValue>(
        MessageHandler<TKey, TValue> handler,
        TKey key,
        TValue value,
        ProcessorOptions? options = null,
        string topic = "test",
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        options ??= new ProcessorOptions { GroupId = "test", Topics = [topic] };
        if (options.Topics.Count == 0)
        {
            options = options with { Topics = [topic] };
        }

        var writer = new RecordingWriter(options);
        var observer = new RetryRecorder();
        var executor = new MessageExecutor<TKey, TValue>(
            options,
            StagedHandlers.From(handler),
            MessageDeserializer<TKey>.Of(new Fixed<TKey>(key)),
            MessageDeserializer<TValue>.Of(new Fixed<TValue>(value)),
            writer,
            observer);
        var partition = new PartitionState(new TopicPartition(topic, 0));
        var result = new ConsumeResult<byte[]?, byte[]?>
        {
            TopicPartitionOffset = new TopicPartitionOffset(partition.TopicPartition, 0),
            Message = new Message<byte[]?, byte[]?> { Key = [], Value = [], Headers = [], Timestamp = new Timestamp(DateTime.UtcNow, TimestampType.CreateTime) },
        };
        var item = new WorkItem(result, partition, LaneKey.For(options.Ordering, partition, []));

        while (true)
        {
            var execution = await executor.ExecuteAsync(item, cancellationToken, cancellationToken).ConfigureAwait(false);
            if (execution.Outcome == ExecutionOutcome.RetryLater)
            {
                continue; // the processor would wait execution.RetryDelay (observer.Delays has it) on no worker
            }

            var attempts = Math.Max(item.Attempts, 1);
            var outcome = execution.Outcome switch
            {
                ExecutionOutcome.Finished when writer.Written is { } written => written.ToRetryTopic ? HandlerRunOutcome.SentToRetryTopic : HandlerRunOutcome.DeadLettered,
                ExecutionOutcome.Finished or ExecutionOutcome.HandedOff => HandlerRunOutcome.Handled,
                ExecutionOutcome.StopProcessor => HandlerRunOutcome.ProcessorStopped,
                ExecutionOutcome.StopPartition => HandlerRunOutcome.PartitionStopped,
                _ => HandlerRunOutcome.Abandoned,
            };
            return new HandlerRunResult(outcome, outcome == HandlerRunOutcome.Handled ? item.Attempts + 1 : attempts, observer.Delays, execution.Failure ?? writer.Written?.Failure, writer.Written?.Topic);
        }
    }

    /// <summary>Hands out the value under test whatever the bytes.</summary>
    private sealed class Fixed<T>(T value) : IDeserializer<T>
    {
        public T Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context) => value;
    }

    /// <summary>Records the back-off delays the engine chose.</summary>
    private sealed class RetryRecorder : IProcessorObserver
    {
        public List<TimeSpan> Delays { get; } = [];

        public void OnRetrying(TopicPartitionOffset message, int failedAttempt, Exception exception, TimeSpan delay) => Delays.Add(delay);
    }

    /// <summary>Records where the failed message would be written, as the processor's dead-letter publisher would route it.</summary>
    private sealed class RecordingWriter(ProcessorOptions options) : IDeadLetterWriter
    {
        public (string Topic, bool ToRetryTopic, Exception Failure)? Written { get; private set; }

        public Task<TopicPartitionOffset> PublishAsync(ConsumeResult<byte[]?, byte[]?> source, FailureRecord failure, CancellationToken cancellationToken)
        {
            var topic = options.OnFailure == FailureAction.RetryTopics
                ? new RetryRoute(options).Next(source, [], DateTimeOffset.UtcNow).Topic
                : options.DeadLetterTopicFor(source.Topic);
            Written = (topic, topic != options.DeadLetterTopicFor(source.Topic), failure.Exception);
            return Task.FromResult(new TopicPartitionOffset(topic, 0, 0));
        }
    }
}

/// <summary>What became of a message in <see cref="HandlerRun.RunAsync"/>.</summary>
/// <param name="Outcome">Handled, or which failure action it met.</param>
/// <param name="Attempts">Handler calls made, retries included.</param>
/// <param name="RetryDelays">The back-off the processor would have waited before each retry.</param>
/// <param name="Failure">The last failure, when it failed for good.</param>
/// <param name="FailureTopic">The dead-letter or retry topic it would be written to, when it was.</param>
public sealed record HandlerRunResult(HandlerRunOutcome Outcome, int Attempts, IReadOnlyList<TimeSpan> RetryDelays, Exception? Failure, string? FailureTopic);

/// <summary>How a message ended in <see cref="HandlerRun.RunAsync"/>.</summary>
public enum HandlerRunOutcome
{
    /// <summary>The handler succeeded (at some attempt).</summary>
    Handled,

    /// <summary>It failed for good and would be written to the dead-letter topic.</summary>
    DeadLettered,

    /// <summary>It failed for good here and would be written to the first retry topic (<see cref="FailureAction.RetryTopics"/>).</summary>
    SentToRetryTopic,

    /// <summary>It failed for good and stops its partition (<see cref="FailureAction.StopPartition"/>).</summary>
    PartitionStopped,

    /// <summary>It failed for good and stops the processor (<see cref="FailureAction.StopProcessor"/>).</summary>
    ProcessorStopped,

    /// <summary>The handler was cancelled or declined the message: it would be consumed again later.</summary>
    Abandoned,
}
