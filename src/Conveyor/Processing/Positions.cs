using Confluent.Kafka;

namespace Conveyor.Processing;

/// <summary>How the library's messages and status name a message's place: <c>topic[partition]@offset</c>.</summary>
internal static class Positions
{
    /// <summary><c>topic[partition]@offset</c>.</summary>
    public static string Of(TopicPartitionOffset at) => $"{at.Topic}[{at.Partition.Value}]@{at.Offset.Value}";

    /// <summary>Each of <paramref name="offsets"/> as <see cref="Of(TopicPartitionOffset)"/>, comma-separated.</summary>
    public static string Of(IEnumerable<TopicPartitionOffset> offsets) => string.Join(", ", offsets.Select(Of));
}
