using System.Diagnostics;
using Confluent.Kafka;
using Conveyor.Processing;

namespace Conveyor.Diagnostics;

/// <summary>
/// One processor's metrics and traces (<see cref="ConveyorMetrics"/>, <see cref="ConveyorDiagnostics.ActivitySource"/>):
/// counts the engine's events here, times and traces each message and handler call in
/// <c>TelemetryObserver.Messages.cs</c>. Holds no status (that is <see cref="ProcessorStatusStore"/>'s)
/// and no text. Thread-safe.
/// </summary>
internal sealed partial class TelemetryObserver(string group) : IProcessorObserver
{
    public void OnPartitionsAssigned(IReadOnlyList<TopicPartition> partitions) =>
        ConveyorMetrics.Rebalances.Add(1, MetricTags.Group(group, MessagingAttributes.RebalanceEvent, "assigned"));

    public void OnPartitionsRevoked(IReadOnlyList<TopicPartition> partitions) =>
        ConveyorMetrics.Rebalances.Add(1, MetricTags.Group(group, MessagingAttributes.RebalanceEvent, "revoked"));

    public void OnPartitionsLost(IReadOnlyList<TopicPartition> partitions) =>
        ConveyorMetrics.Rebalances.Add(1, MetricTags.Group(group, MessagingAttributes.RebalanceEvent, "lost"));

    public void OnRetrying(TopicPartitionOffset message, int failedAttempt, Exception exception, TimeSpan delay) =>
        ConveyorMetrics.Retried.Add(1, MetricTags.Message(group, message.TopicPartition));

    public void OnDeadLettered(TopicPartitionOffset message, TopicPartitionOffset deadLetter, Exception exception)
    {
        var tags = MetricTags.Message(group, message.TopicPartition);
        ConveyorMetrics.Failed.Add(1, tags);
        ConveyorMetrics.DeadLettered.Add(1, tags);
        MarkFailed(exception, $"dead-lettered to {deadLetter.Topic}");
    }

    public void OnPartitionStopped(TopicPartitionOffset message, Exception exception)
    {
        ConveyorMetrics.Failed.Add(1, MetricTags.Message(group, message.TopicPartition));
        MarkFailed(exception, "partition stopped");
    }

    public void OnPartitionStalled(TopicPartitionOffset position, long endOffset, TimeSpan idle) =>
        ConveyorMetrics.Stalls.Add(1, MetricTags.Message(group, position.TopicPartition));

    public void OnFinishedSkipped(IReadOnlyList<TopicPartitionOffset> messages)
    {
        foreach (var partition in messages.GroupBy(m => m.TopicPartition))
        {
            ConveyorMetrics.SkippedFinished.Add(partition.Count(), MetricTags.Message(group, partition.Key));
        }
    }

    public void OnOtherGroupSkipped(IReadOnlyList<TopicPartitionOffset> messages)
    {
        foreach (var partition in messages.GroupBy(m => m.TopicPartition))
        {
            ConveyorMetrics.SkippedOtherGroup.Add(partition.Count(), MetricTags.Message(group, partition.Key));
        }
    }

    /// <summary>A synchronous commit took <paramref name="elapsed"/>.</summary>
    public void CommitTimed(TimeSpan elapsed, bool succeeded)
    {
        var tags = MetricTags.Group(group);
        ConveyorMetrics.CommitDuration.Record(elapsed.TotalSeconds, tags);
        (succeeded ? ConveyorMetrics.Commits : ConveyorMetrics.CommitFailures).Add(1, tags);
    }

    private static void MarkFailed(Exception exception, string description)
    {
        // Called in the message's own flow: the current activity is the message's.
        if (Activity.Current is { Source.Name: ConveyorDiagnostics.ActivitySourceName } activity)
        {
            activity.SetStatus(ActivityStatusCode.Error, $"{description}: {exception.Message}");
            activity.SetTag(MessagingAttributes.ErrorType, ErrorType(exception));
        }
    }

    private static string ErrorType(Exception exception) => exception.GetType().FullName ?? exception.GetType().Name;
}
