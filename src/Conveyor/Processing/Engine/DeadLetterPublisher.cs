using System.Diagnostics;
using System.Globalization;
using System.Text;
using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.DeadLetters;
using Conveyor.Diagnostics;
using Conveyor.Processing.RetryTopics;

namespace Conveyor.Processing.Engine;

/// <summary>
/// Writes messages that failed for good to their dead-letter topic: the original key, value and
/// headers, plus headers that say where the message came from and why it failed. Idempotent
/// producer, acks from all in-sync replicas; the caller waits for the acknowledgement.
/// </summary>
internal sealed class DeadLetterPublisher : IDeadLetterWriter, IDisposable
{
    /// <summary>Stack traces are cut to this many characters, so one failure cannot make a huge message.</summary>
    public const int MaxStackTraceLength = 4_000;

    private readonly IProducer<byte[]?, byte[]?> _producer;
    private readonly ProcessorOptions _options;
    private readonly RetryRoute? _retries;
    private readonly TimeProvider _time;

    public DeadLetterPublisher(KafkaClientProperties client, ProcessorOptions options, IEngineEvents events)
        // Each dead letter is awaited on its own: nothing to batch, so no linger.
        : this(ProducerFactory.Build(client, TimeSpan.Zero, events), options, TimeProvider.System)
    {
    }

    /// <summary>Writes through <paramref name="producer"/> (owned from now on); a retry's due time comes from <paramref name="time"/>, the poll loop's clock (the simulator's).</summary>
    internal DeadLetterPublisher(IProducer<byte[]?, byte[]?> producer, ProcessorOptions options, TimeProvider time)
    {
        _options = options;
        _retries = options.OnFailure == FailureAction.RetryTopics ? new RetryRoute(options) : null;
        _producer = producer;
        _time = time;
    }

    /// <summary>
    /// Writes the message and waits for the broker's acknowledgement; throws if it cannot. With
    /// <see cref="FailureAction.RetryTopics"/> it goes to the next retry topic, and to the
    /// dead-letter topic only after the last one.
    /// </summary>
    public async Task<TopicPartitionOffset> PublishAsync(ConsumeResult<byte[]?, byte[]?> source, FailureRecord failure, CancellationToken cancellationToken)
    {
        var headers = new Headers();
        foreach (var header in source.Message.Headers ?? [])
        {
            // A message from a retry topic carries the failure headers of its last hop: replaced below, not repeated.
            if (!DeadLetterHeaders.All.Contains(header.Key))
            {
                headers.Add(header.Key, header.GetValueBytes());
            }
        }

        // The trace goes on: the message's own traceparent is kept, or replaced by the activity
        // that processed it (a child in the same trace) when one is running.
        if (Activity.Current is { } processing && processing.Source == ConveyorDiagnostics.ActivitySource)
        {
            KafkaTraceContext.Inject(headers, processing);
        }

        Add(headers, DeadLetterHeaders.SourceTopic, source.Topic);
        Add(headers, DeadLetterHeaders.SourcePartition, source.Partition.Value.ToString(CultureInfo.InvariantCulture));
        Add(headers, DeadLetterHeaders.SourceOffset, source.Offset.Value.ToString(CultureInfo.InvariantCulture));
        Add(headers, DeadLetterHeaders.SourceTimestamp, source.Message.Timestamp.UnixTimestampMs.ToString(CultureInfo.InvariantCulture));
        Add(headers, DeadLetterHeaders.ConsumerGroup, failure.GroupId);
        Add(headers, DeadLetterHeaders.FailureKind, failure.Kind);
        Add(headers, DeadLetterHeaders.ExceptionType, failure.Exception.GetType().FullName ?? failure.Exception.GetType().Name);
        Add(headers, DeadLetterHeaders.ExceptionMessage, failure.Exception.Message);
        Add(headers, DeadLetterHeaders.ExceptionStackTrace, Bounded(failure.Exception.ToString()));
        Add(headers, DeadLetterHeaders.Attempts, failure.Attempts.ToString(CultureInfo.InvariantCulture));
        Add(headers, DeadLetterHeaders.FailedAt, failure.FailedAt.ToString("O", CultureInfo.InvariantCulture));

        var (topic, routed) = _retries?.Next(source, headers, _time.GetUtcNow()) ?? (_options.DeadLetterTopicFor(source.Topic), headers);
        var message = new Message<byte[]?, byte[]?>
        {
            Key = source.Message.Key,
            Value = source.Message.Value,
            Headers = routed,
            Timestamp = source.Message.Timestamp,
        };
        var delivered = await _producer.ProduceAsync(topic, message, cancellationToken).ConfigureAwait(false);
        return await UnconfirmedDelivery.ConfirmAsync(delivered.TopicPartitionOffset, () => _producer.ProduceAsync(topic, message, cancellationToken)).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _producer.Flush(TimeSpan.FromSeconds(10));
        _producer.Dispose();
    }

    private static void Add(Headers headers, string key, string value) => headers.Add(key, Encoding.UTF8.GetBytes(value));

    private static string Bounded(string text) =>
        text.Length <= MaxStackTraceLength ? text : string.Concat(text.AsSpan(0, MaxStackTraceLength), "...");
}
