using Confluent.Kafka;

namespace Conveyor.Processing.Engine;

/// <summary>
/// <see cref="IPartitionPositions"/> from the consumer: locally the last fetched offset, the
/// client's position and the high watermark of the last fetch response; from the broker (short
/// timeout) the committed offset and fresh watermarks.
/// </summary>
internal sealed class ConsumerPositions(IConsumer<byte[]?, byte[]?> consumer, bool resetToEarliest) : IPartitionPositions
{
    private static readonly TimeSpan BrokerTimeout = TimeSpan.FromSeconds(2);

    public long? Next(PartitionState partition, bool askBroker)
    {
        if (partition.Poll.NextOffset >= 0)
        {
            return partition.Poll.NextOffset;
        }

        try
        {
            var position = consumer.Position(partition.TopicPartition);
            if (position.Value >= 0 || !askBroker)
            {
                return position.Value >= 0 ? position.Value : null;
            }

            var committed = consumer.Committed([partition.TopicPartition], BrokerTimeout)[0].Offset;
            if (committed.Value >= 0)
            {
                return committed.Value;
            }

            // No commit yet: consumption starts where auto.offset.reset says.
            var watermarks = consumer.QueryWatermarkOffsets(partition.TopicPartition, BrokerTimeout);
            return resetToEarliest ? watermarks.Low.Value : watermarks.High.Value;
        }
        catch (KafkaException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether the partition has messages the engine has not received yet, as far as the client
    /// knows locally (no broker call): its end as of the last fetch response is past the next
    /// offset the engine expects (before the first message: the committed offset the assignment
    /// read, else the start auto.offset.reset gives). Null when that cannot be told (no fetch
    /// response yet, or no known start).
    /// </summary>
    public bool? Unread(PartitionState partition)
    {
        try
        {
            var watermarks = consumer.GetWatermarkOffsets(partition.TopicPartition);
            if (watermarks.High.Value < 0)
            {
                return null; // nothing fetched yet
            }

            var next = Next(partition, askBroker: false)
                ?? (partition.Poll.CompletionFloor >= 0 ? partition.Poll.CompletionFloor : (long?)null)
                ?? (resetToEarliest ? Math.Max(watermarks.Low.Value, 0) : (long?)null);
            return next is { } offset ? watermarks.High.Value > offset : null;
        }
        catch (KafkaException)
        {
            return null;
        }
    }

    public long? End(TopicPartition partition, bool askBroker)
    {
        try
        {
            var end = askBroker ? consumer.QueryWatermarkOffsets(partition, BrokerTimeout).High : consumer.GetWatermarkOffsets(partition).High;
            return end.Value >= 0 ? end.Value : null;
        }
        catch (KafkaException)
        {
            return null;
        }
    }
}
