using System.Diagnostics;
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

    /// <summary>
    /// A worker took a message (for its first attempt, or a retry after a back-off). Starts its
    /// <c>process {topic}</c> activity, one per attempt, parented on the <c>traceparent</c> header
    /// when there is one; it is <see cref="Activity.Current"/> for the handler and the dead-letter write.
    /// </summary>
    public MessageTrace MessageStarted(WorkItem item)
    {
        var result = item.Result;
        var tags = MetricTags.Message(group, result.Topic, result.Partition.Value);
        long firstStarted;
        if (item.Attempts > 0 && _retrying.TryGetValue(item, out var started))
        {
            _retrying.Remove(item);
            firstStarted = started.Value;
        }
        else
        {
            firstStarted = Stopwatch.GetTimestamp();
            ConveyorMetrics.Consumed.Add(1, tags);
            ConveyorMetrics.InFlight.Add(1, tags);
        }

        // A message's trace comes from its headers only, never from whatever activity was current
        // when the processor was started (the workers inherit that context).
        Activity.Current = null;
        var activity = KafkaTraceContext.TryExtract(result.Message.Headers, out var parent)
            ? ConveyorDiagnostics.ActivitySource.StartActivity($"process {result.Topic}", ActivityKind.Consumer, parent)
            : ConveyorDiagnostics.ActivitySource.StartActivity($"process {result.Topic}", ActivityKind.Consumer);
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

        return new MessageTrace(activity, firstStarted, tags);
    }

    /// <summary>The worker is done with the message's attempt; the message is done too unless it waits for a retry.</summary>
    public void MessageEnded(WorkItem item, in MessageTrace trace, in Execution execution)
    {
        trace.Activity?.Dispose();
        if (execution.Outcome == ExecutionOutcome.RetryLater)
        {
            _retrying.AddOrUpdate(item, new StrongBox<long>(trace.FirstStarted));
            return; // still in flight, waiting out its back-off
        }

        ConveyorMetrics.InFlight.Add(-1, trace.Tags);
        if (execution.Outcome != ExecutionOutcome.Abandoned)
        {
            var tags = trace.Tags;
            if (execution.Failure is { } failure)
            {
                tags.Add(MessagingAttributes.ErrorType, ErrorType(failure));
            }

            ConveyorMetrics.ProcessDuration.Record(Stopwatch.GetElapsedTime(trace.FirstStarted).TotalSeconds, tags);
        }
    }

    /// <summary>A message waiting for its retry was dropped (its partition revoked or stopped, or the processor stopping): no longer in flight.</summary>
    public void MessageDropped(WorkItem item)
    {
        _retrying.Remove(item);
        ConveyorMetrics.InFlight.Add(-1, MetricTags.Message(group, item.Result.TopicPartition));
    }

    /// <summary>One handler call started: its start, for <see cref="HandlerEnded"/>.</summary>
    public static long HandlerStarted() => Stopwatch.GetTimestamp();

    /// <summary>One handler call ended, failed with <paramref name="failure"/> if it did; a successful call counts the message processed.</summary>
    public void HandlerEnded(long started, string topic, int partition, int attempt, Exception? failure)
    {
        var tags = MetricTags.Message(group, topic, partition);
        if (failure is not null)
        {
            tags.Add(MessagingAttributes.ErrorType, failure.GetType().FullName);
            ConveyorMetrics.HandlerDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
            Activity.Current?.AddException(failure, new TagList { { MessagingAttributes.Attempt, attempt.ToString(CultureInfo.InvariantCulture) } });
            return;
        }

        ConveyorMetrics.HandlerDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
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

        ConveyorMetrics.HandlerDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, durationTags);
        if (finished > 0)
        {
            ConveyorMetrics.Processed.Add(finished, tags);
        }
    }
}
