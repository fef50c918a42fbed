using System.Globalization;
using Confluent.Kafka;

namespace Conveyor.Cli.Tutorial;

/// <summary>The lines the engine-backed consumer prints beside the tutorial's own.</summary>
internal static class EngineLines
{
    public const string ClusterLost =
        "lost the cluster: every broker is down; waiting for it to come back (Ctrl-C stops; what is not committed is consumed again later)";

    /// <summary>What a stop while the cluster was gone left behind: the offsets committed before it, and that later work was not.</summary>
    public static string StoppedWithoutCluster(string group, IReadOnlyDictionary<TopicPartition, long> committed) =>
        Invariant($"stopped the consumer of group {group} while the cluster was unreachable: ")
        + (committed.Count == 0
            ? "nothing was committed"
            : "the last committed offsets are " + string.Join(", ", committed.OrderBy(c => c.Key.Partition.Value).Select(c => Invariant($"{c.Key.Topic}[{c.Key.Partition.Value}]@{c.Value}"))))
        + "; what was handled after them is not committed and will be consumed again";

    public static string ProcessingFailed(string? key, TopicPartitionOffset at, int attempt, Exception error) =>
        Invariant($"processing failed for key {key ?? "(none)"} in offset {at.Offset.Value} from partition {at.Partition.Value} (attempt {attempt}) - {error.Message}");

    public static string Retrying(TopicPartitionOffset at, int failedAttempt, TimeSpan delay) =>
        Invariant($"retrying offset {at.Offset.Value} from partition {at.Partition.Value} in {delay.TotalMilliseconds:0} ms (attempt {failedAttempt + 1})");

    public static string DeadLettered(TopicPartitionOffset at, TopicPartitionOffset deadLetter, Exception error) =>
        Invariant($"dead-lettered offset {at.Offset.Value} from partition {at.Partition.Value} to {deadLetter.Topic} partition {deadLetter.Partition.Value} offset {deadLetter.Offset.Value} - {error.GetType().Name}: {error.Message}");

    /// <summary>
    /// The one line of a stop: the engine reports only the first message that stops a partition, so
    /// the line does not promise the commit stays at that offset: another key's earlier message that
    /// fails after it keeps the commit lower, without a line of its own.
    /// </summary>
    public static string PartitionStopped(TopicPartitionOffset at, Exception error) =>
        Invariant($"STOPPED partition {at.Partition.Value} at offset {at.Offset.Value} - {error.Message}; its committed offset goes no further than this ")
        + "(lower if an earlier message still running fails too: only the first stop is reported) until the partition is reassigned or the process restarts";

    /// <summary>The last line of a run that ended (by itself, not by Ctrl-C) with partitions stopped by <c>--on-failure StopPartition</c>.</summary>
    public static string PartitionsStopped(int partitions) =>
        Invariant($"error: {partitions} partition{(partitions == 1 ? "" : "s")} stopped at a message that failed for good (--on-failure StopPartition); ")
        + "the STOPPED lines above say where each first stopped. Their committed offsets stay at or below those messages, so a restart consumes them again.";

    public static string BackPressure(IEnumerable<TopicPartition> partitions, bool paused) =>
        $"{(paused ? "paused" : "resumed")} partitions {string.Join(", ", partitions.Select(p => p.Partition.Value))} ({(paused ? "too many unfinished messages" : "caught up")})";

    public static string Stalled(TopicPartitionOffset position, long endOffset, TimeSpan idle) =>
        Invariant($"warning: partition {position.Partition.Value} is STALLED at offset {position.Offset.Value}: messages up to offset {endOffset} wait, none delivered for {idle.TotalSeconds:0} s although it is not paused or stopped");

    public static string StallEnded(TopicPartition partition) => Invariant($"partition {partition.Partition.Value} delivers again");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
