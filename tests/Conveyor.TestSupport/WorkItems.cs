using System.Text;
using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Engine;

namespace Conveyor.TestSupport;

/// <summary>Consumed messages as the engine's feeder hands them on, made without a consumer.</summary>
internal static class WorkItems
{
    /// <summary>The message at <paramref name="offset"/> of <paramref name="partition"/>, in the lane <paramref name="ordering"/> gives its key.</summary>
    public static WorkItem Of(PartitionState partition, long offset, byte[] key, byte[] value, OrderingMode ordering = OrderingMode.Key)
    {
        var result = new ConsumeResult<byte[]?, byte[]?>
        {
            TopicPartitionOffset = new TopicPartitionOffset(partition.TopicPartition, offset),
            Message = new Message<byte[]?, byte[]?> { Key = key, Value = value },
        };
        return new WorkItem(result, partition, LaneKey.For(ordering, partition, key));
    }

    /// <summary>The same, with a UTF-8 key and value.</summary>
    public static WorkItem Of(PartitionState partition, long offset, string key, string value = "", OrderingMode ordering = OrderingMode.Key) =>
        Of(partition, offset, Encoding.UTF8.GetBytes(key), Encoding.UTF8.GetBytes(value), ordering);

    /// <summary>A message with key [1] and value [2] at <paramref name="offset"/> of a partition of its own, for tests of what happens to one input.</summary>
    public static WorkItem Of(string topic = "in", int partition = 0, long offset = 0) =>
        Of(new PartitionState(new TopicPartition(topic, partition)), offset, [1], [2]);
}
