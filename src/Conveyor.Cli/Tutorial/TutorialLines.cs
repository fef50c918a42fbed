using System.Globalization;
using Confluent.Kafka;

namespace Conveyor.Cli.Tutorial;

/// <summary>
/// The lines the tutorial system prints, worded as in the tutorials so users recognise the flow.
/// One place, so the wording is tested once and every command prints the same.
/// </summary>
internal static class TutorialLines
{
    private const int MaxShownValueLength = 200;

    public static string Produced(string? key, TopicPartitionOffset at) =>
        Invariant($"produced message with key {ShowKey(key)} in offset {at.Offset.Value} of partition {at.Partition.Value}");

    public static string ProduceFailed(string? key, Error error, int? line = null) =>
        line is { } number
            ? $"failed to produce line {number} with key {ShowKey(key)} - {error.Reason}"
            : $"failed to produce message with key {ShowKey(key)} - {error.Reason}";

    public static string Received(string? key, User value, TopicPartitionOffset at) =>
        Invariant($"received key {ShowKey(key)} with value {value} in offset {at.Offset.Value} from partition {at.Partition.Value}");

    public static string ReceivedEmpty(string? key, TopicPartitionOffset at) =>
        Invariant($"received key {ShowKey(key)} with no value (a tombstone) in offset {at.Offset.Value} from partition {at.Partition.Value}");

    public static string Undecodable(string? key, TopicPartitionOffset at, string reason, ReadOnlySpan<byte> value) =>
        Invariant($"could not decode the value of the message with key {ShowKey(key)} in offset {at.Offset.Value} from partition {at.Partition.Value} as User JSON - {reason}; raw value: {ShowRaw(value)}");

    public static string PostRebalance => "post_rebalance callback";

    public static string Rebalanced(Partition partition) => Invariant($"rebalanced partition {partition.Value}");

    public static string Assigned(IEnumerable<TopicPartition> partitions) =>
        $"assigned partitions: {ListPartitions(partitions)}";

    public static string AllRevoked => "ALL partitions have been REVOKED";

    public static string Revoked(IEnumerable<TopicPartition> partitions) =>
        $"partitions REVOKED: {ListPartitions(partitions)}";

    public static string Lost(IEnumerable<TopicPartition> partitions) =>
        $"partitions LOST: {ListPartitions(partitions)} (this member's place in the group ended: its session timed out or the broker could not be reached; "
        + "nothing was committed for them, so their unfinished messages will be consumed again)";

    public static string ClientError(Error error) =>
        error.IsFatal ? $"fatal error - {error.Reason}" : $"error - {error.Reason}";

    public static string Committed(TopicPartitionOffset committed) =>
        Invariant($"committed offset Offset({committed.Offset.Value}) in partition {committed.Partition.Value}");

    public static string CommitFailed(Error error) => $"error committing offset - {error.Reason}";

    public static string ProcessingFailed(string? key, TopicPartitionOffset at) =>
        Invariant($"processing failed for the message with key {ShowKey(key)} in offset {at.Offset.Value} from partition {at.Partition.Value} - stopping the consumer without committing it, so it is consumed again after a restart");

    private static string ListPartitions(IEnumerable<TopicPartition> partitions) =>
        string.Join(", ", partitions.OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition.Value)
            .Select(p => Invariant($"{p.Topic}[{p.Partition.Value}]")));

    private static string ShowKey(string? key) => key ?? "(none)";

    private static string ShowRaw(ReadOnlySpan<byte> value)
    {
        var text = System.Text.Encoding.UTF8.GetString(value);
        return text.Length <= MaxShownValueLength ? text : string.Concat(text.AsSpan(0, MaxShownValueLength), "...");
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
