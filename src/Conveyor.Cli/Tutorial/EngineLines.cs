using System.Globalization;
using Confluent.Kafka;

namespace Conveyor.Cli.Tutorial;

/// <summary>The lines the engine-backed consumer prints beside the tutorial's own.</summary>
internal static class EngineLines
{
    public static string ProcessingFailed(string? key, TopicPartitionOffset at, int attempt, Exception error) =>
        Invariant($"processing failed for key {key ?? "(none)"} in offset {at.Offset.Value} from partition {at.Partition.Value} (attempt {attempt}) - {error.Message}");

    public static string Retrying(TopicPartitionOffset at, int failedAttempt, TimeSpan delay) =>
        Invariant($"retrying offset {at.Offset.Value} from partition {at.Partition.Value} in {delay.TotalMilliseconds:0} ms (attempt {failedAttempt + 1})");

    public static string DeadLettered(TopicPartitionOffset at, TopicPartitionOffset deadLetter, Exception error) =>
        Invariant($"dead-lettered offset {at.Offset.Value} from partition {at.Partition.Value} to {deadLetter.Topic} partition {deadLetter.Partition.Value} offset {deadLetter.Offset.Value} - {error.GetType().Name}: {error.Message}");

    public static string PartitionStopped(TopicPartitionOffset at, Exception error) =>
        Invariant($"STOPPED partition {at.Partition.Value} at offset {at.Offset.Value} - {error.Message}; its committed offset stays here until the partition is reassigned or the consumer restarts");

    public static string BackPressure(IEnumerable<TopicPartition> partitions, bool paused) =>
        $"{(paused ? "paused" : "resumed")} partitions {string.Join(", ", partitions.Select(p => p.Partition.Value))} ({(paused ? "too many unfinished messages" : "caught up")})";

    public static string Stalled(TopicPartitionOffset position, long endOffset, TimeSpan idle) =>
        Invariant($"warning: partition {position.Partition.Value} is STALLED at offset {position.Offset.Value}: messages up to offset {endOffset} wait, none delivered for {idle.TotalSeconds:0} s although it is not paused or stopped");

    public static string StallEnded(TopicPartition partition) => Invariant($"partition {partition.Partition.Value} delivers again");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
