using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Conveyor.Processing.Engine;

namespace Conveyor.Diagnostics;

/// <summary>Per message: a process activity continuing the producer's trace, counts and durations.</summary>
internal sealed partial class ProcessorTelemetry
{
    /// <summary>
    /// A worker took a message (for its first attempt, or a retry after a back-off). Starts its
    /// <c>process {topic}</c> activity, one per attempt, parented on the <c>traceparent</c> header
    /// when there is one; it is <see cref="Activity.Current"/> for the handler and the dead-letter write.
    /// </summary>
    public MessageScope StartMessage(WorkItem item)
    {
        var result = item.Result;
        var tags = MessageTags(result.TopicPartition);
        if (item.FirstStarted == 0)
        {
            item.FirstStarted = Stopwatch.GetTimestamp();
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

        return new MessageScope(activity, tags, item);
    }

    /// <summary>The worker is done with the message's attempt; the message is done too unless it waits for a retry.</summary>
    public static void EndMessage(MessageScope scope, ExecutionOutcome outcome)
    {
        scope.Activity?.Dispose();
        if (outcome == ExecutionOutcome.RetryLater)
        {
            return; // still in flight, waiting out its back-off
        }

        ConveyorMetrics.InFlight.Add(-1, scope.Tags);
        if (outcome != ExecutionOutcome.Abandoned)
        {
            var tags = scope.Tags;
            if (scope.Item.FailureType is { } error)
            {
                tags.Add(MessagingAttributes.ErrorType, error);
            }

            ConveyorMetrics.ProcessDuration.Record(Stopwatch.GetElapsedTime(scope.Item.FirstStarted).TotalSeconds, tags);
        }
    }

    /// <summary>A message waiting for its retry was dropped (its partition revoked or stopped, or the processor stopping): no longer in flight.</summary>
    public void DropMessage(WorkItem item) => ConveyorMetrics.InFlight.Add(-1, MessageTags(item.Result.TopicPartition));

    /// <summary>The handler, timed per call; a successful call counts the message processed.</summary>
    public StagedHandler<TKey, TValue> Wrap<TKey, TValue>(StagedHandler<TKey, TValue> handler) => async (message, cancellationToken) =>
    {
        var started = Stopwatch.GetTimestamp();
        var tags = MessageTags(new TopicPartition(message.Topic, message.Partition));
        IPendingAcknowledgement? pending;
        try
        {
            pending = await handler(message, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var failedTags = tags;
            failedTags.Add(MessagingAttributes.ErrorType, e.GetType().FullName);
            ConveyorMetrics.HandlerDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, failedTags);
            Activity.Current?.AddException(e, new TagList { { MessagingAttributes.Attempt, message.Attempt.ToString(CultureInfo.InvariantCulture) } });
            throw;
        }

        ConveyorMetrics.HandlerDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        ConveyorMetrics.Processed.Add(1, tags);
        return pending;
    };

    /// <summary>One message between <see cref="StartMessage"/> and <see cref="EndMessage"/>.</summary>
    internal readonly record struct MessageScope(Activity? Activity, TagList Tags, WorkItem Item);
}
