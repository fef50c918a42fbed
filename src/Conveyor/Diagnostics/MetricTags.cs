using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;

namespace Conveyor.Diagnostics;

/// <summary>The tags on Conveyor's instruments: the group on everything, the topic and partition on what concerns a message.</summary>
internal static class MetricTags
{
    public static TagList Group(string group) => new()
    {
        { MessagingAttributes.System, MessagingAttributes.Kafka },
        { MessagingAttributes.ConsumerGroup, group },
    };

    public static TagList Group(string group, string key, string value)
    {
        var tags = Group(group);
        tags.Add(key, value);
        return tags;
    }

    public static TagList Message(string group, TopicPartition partition) => Message(group, partition.Topic, partition.Partition.Value);

    public static TagList Message(string group, string topic, int partition) => new()
    {
        { MessagingAttributes.System, MessagingAttributes.Kafka },
        { MessagingAttributes.ConsumerGroup, group },
        { MessagingAttributes.Destination, topic },
        { MessagingAttributes.Partition, PartitionName(partition) },
    };

    // Every handler call is tagged with its partition: each name of the first partitions is made
    // once, when first asked for (a race makes it twice, harmlessly), so a message's tags allocate nothing.
    private static readonly string?[] PartitionNames = new string?[4096];

    /// <summary>The partition number as a tag value; made once for each of the first 4,096 partitions.</summary>
    public static string PartitionName(int partition) =>
        (uint)partition < (uint)PartitionNames.Length
            ? PartitionNames[partition] ??= partition.ToString(CultureInfo.InvariantCulture)
            : partition.ToString(CultureInfo.InvariantCulture);
}
