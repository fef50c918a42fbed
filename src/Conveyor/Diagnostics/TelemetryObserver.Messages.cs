using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Confluent.Kafka;
using Conveyor.Processing.Batching;
using Conveyor.Processing.Engine;

namespace Conveyor.Diagnostics;

/// <summary>Per message: a process activity continuing the producer's trace, counts and durations.</summary>
internal sealed partial class TelemetryObserver
{
    // When a retried message first started, from its attempt's end to its next start: the message
    // carries no telemetry, and only retries (off the fast path) are kept. Weak, so a message
    // dropped without a word (a revoke while it waits its turn) leaves nothing behind.
    private readonly ConditionalWeakTable<WorkItem, StrongBox<long>> _retrying = [];

    // The last topic's activity name (ProcessName), read and replaced as a whole by any worker.
    private volatile TopicName? _processName;

    /// <summary>
    /// A worker took a message (for its first attempt, or a retry after a back-off). Starts its
    /// <c>process {topic}</c> activity, one per attempt, parented on the <c>traceparent</c> header
    /// when there is one; it is <see cref="Activity.Current"/> for the handler and the dead-letter write.
    /// </summary>
    public MessageTrace MessageStarted(WorkItem item)
    {
        var result = item.Result;
        long firstStarted;
        StrongBox<long>? started = null;
        var retried = item.Attempts > 0 && _retrying.TryGetValue(item, out started);
        if (retried)
        {
            _retrying.Remove(item);
            firstStarted = started!.Value;
        }
        else
        {
            firstStarted = Timestamp(ConveyorMetrics.ProcessDuration);
        }

        // A message's trace comes from its headers only, never from whatever activity was current
        // when the processor was started (the workers inherit that context).
        Activity.Current = null;
        var traced = ConveyorDiagnostics.ActivitySource.HasListeners();
        if (!traced && !MessageMeasured)
        {
            // Nobody listens: no tags are made (MessageEnded makes them if someone listens by then).
            return new MessageTrace(null, firstStarted, default);
        }

        var tags = MetricTags.Message(group, result.Topic, result.Partition.Value);
        if (!retried)
        {
            ConveyorMetrics.Consumed.Add(1, tags);
            ConveyorMetrics.InFlight.Add(1, tags);
        }

        return new MessageTrace(traced ? StartProcess(result, tags) : null, firstStarted, tags);
    }

    /// <summary>Whether some listener hears a message's own instruments (consumed, in flight, process duration): their tags are made only then.</summary>
    private static bool MessageMeasured =>
        ConveyorMetrics.Consumed.Enabled || ConveyorMetrics.InFlight.Enabled || ConveyorMetrics.ProcessDuration.Enabled;

    /// <summary>The message's <c>process {topic}</c> activity (someone listens): its name and parent are made only then.</summary>
    private Activity? StartProcess(Confluent.Kafka.ConsumeResult<byte[]?, byte[]?> result, TagList tags)
    {
        var name = ProcessName(result.Topic);
        var activity = KafkaTraceContext.TryExtract(result.Message.Headers, out var parent)
            ? ConveyorDiagnostics.ActivitySource.StartActivity(name, ActivityKind.Consumer, parent)
            : ConveyorDiagnostics.ActivitySource.StartActivity(name, ActivityKind.Consumer);
        if (activity is { IsAllDataRequested: true })
        {
            foreach (var tag in tags)
            {
                activity.SetTag(tag.Key, tag.Value);
            }

            activity.SetTag(MessagingAttributes.OperationName, "process");
            activity.SetTag(MessagingAttributes.OperationType, "process");
            activity.SetTag(MessagingAttributes.Offset, result.Offset.Value);
        }

        return activity;
    }

    /// <summary><c>process {topic}</c>, made once per topic in a row (a processor reads few topics, mostly one at a time).</summary>
    private string ProcessName(string topic)
    {
        var last = _processName;
        if (last is not null && string.Equals(last.Topic, topic, StringComparison.Ordinal))
        {
            return last.Name;
        }

        var made = new TopicName(topic, $"process {topic}");
        _processName = made;
        return made.Name;
    }

    /// <summary>Now, for a duration <paramref name="histogram"/> records; 0 (no clock read) while nothing listens to it.</summary>
    private static long Timestamp(Histogram<double> histogram) => histogram.Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>The worker is done with the message's attempt; the message is done too unless it waits for a retry.</summary>
    public void MessageEnded(WorkItem item, in MessageTrace trace, in Execution execution)
    {
        trace.Activity?.Dispose();
        if (execution.Outcome == ExecutionOutcome.RetryLater)
        {
            _retrying.AddOrUpdate(item, new StrongBox<long>(trace.FirstStarted));
            return; // still in flight, waiting out its back-off
        }

        if (trace.Tags.Count == 0 && !MessageMeasured)
        {
            return; // nobody listens (nor did when it started: no tags were made)
        }

        var tags = trace.Tags.Count > 0 ? trace.Tags : MetricTags.Message(group, item.Result.Topic, item.Result.Partition.Value);
        ConveyorMetrics.InFlight.Add(-1, tags);
        if (execution.Outcome != ExecutionOutcome.Abandoned)
        {
            if (execution.Failure is { } failure)
            {
                tags.Add(MessagingAttributes.ErrorType, ErrorType(failure));
            }

            if (trace.FirstStarted != 0) // 0: nothing listened when it started
            {
                ConveyorMetrics.ProcessDuration.Record(Stopwatch.GetElapsedTime(trace.FirstStarted).TotalSeconds, tags);
            }
        }
    }

    /// <summary>A message waiting for its retry was dropped (its partition revoked or stopped, or the processor stopping): no longer in flight.</summary>
    public void MessageDropped(WorkItem item)
    {
        _retrying.Remove(item);
        ConveyorMetrics.InFlight.Add(-1, MetricTags.Message(group, item.Result.TopicPartition));
    }

    /// <summary>One handler call started: its start, for <see cref="HandlerEnded"/> (0 while nothing listens to the duration).</summary>
    public static long HandlerStarted() => Timestamp(ConveyorMetrics.HandlerDuration);

    /// <summary>One handler call ended, failed with <paramref name="failure"/> if it did; a successful call counts the message processed.</summary>
    public void HandlerEnded(long started, string topic, int partition, int attempt, Exception? failure)
    {
        if (failure is null && started == 0 && !ConveyorMetrics.Processed.Enabled)
        {
            return; // a call that succeeded, and nobody listens: no tags are made
        }

        var tags = MetricTags.Message(group, topic, partition);
        if (failure is not null)
        {
            tags.Add(MessagingAttributes.ErrorType, failure.GetType().FullName);
            RecordHandlerDuration(started, tags);
            Activity.Current?.AddException(failure, new TagList { { MessagingAttributes.Attempt, attempt.ToString(CultureInfo.InvariantCulture) } });
            return;
        }

        RecordHandlerDuration(started, tags);
        ConveyorMetrics.Processed.Add(1, tags);
    }

    /// <summary>
    /// One batch handler call (one attempt of the batch) ended: its duration, failed with
    /// <paramref name="failure"/> if it did, and the <paramref name="finished"/> messages it handled counted processed.
    /// </summary>
    public void BatchEnded(long started, TopicPartition partition, int finished, Exception? failure)
    {
        var tags = MetricTags.Message(group, partition);
        var durationTags = tags;
        if (failure is not null)
        {
            durationTags.Add(MessagingAttributes.ErrorType, (failure is BatchFailedException { InnerException: { } inner } ? inner : failure).GetType().FullName);
        }

        RecordHandlerDuration(started, durationTags);
        if (finished > 0)
        {
            ConveyorMetrics.Processed.Add(finished, tags);
        }
    }

    private sealed record TopicName(string Topic, string Name);

    private static void RecordHandlerDuration(long started, in TagList tags)
    {
        if (started != 0) // 0: nothing listened when the call started
        {
            ConveyorMetrics.HandlerDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        }
    }
}
