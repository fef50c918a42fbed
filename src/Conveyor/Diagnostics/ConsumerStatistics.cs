using System.Text.Json;
using Confluent.Kafka;

namespace Conveyor.Diagnostics;

/// <summary>Reads the per-partition consumer lag out of librdkafka's statistics JSON.</summary>
internal static class ConsumerStatistics
{
    /// <summary>
    /// <c>consumer_lag</c> of every partition this consumer fetches: high watermark minus committed
    /// offset. Partitions whose lag librdkafka does not know yet (-1, e.g. nothing committed) are left out.
    /// </summary>
    public static Dictionary<TopicPartition, long> Lag(string json)
    {
        var lag = new Dictionary<TopicPartition, long>();
        using var document = JsonDocument.Parse(json);
        if (!document.RootElement.TryGetProperty("topics", out var topics))
        {
            return lag;
        }

        foreach (var topic in topics.EnumerateObject())
        {
            if (!topic.Value.TryGetProperty("partitions", out var partitions))
            {
                continue;
            }

            foreach (var partition in partitions.EnumerateObject())
            {
                var p = partition.Value;
                if (p.TryGetProperty("partition", out var id) && id.GetInt32() >= 0
                    && p.TryGetProperty("consumer_lag", out var value) && value.GetInt64() >= 0)
                {
                    lag[new TopicPartition(topic.Name, id.GetInt32())] = value.GetInt64();
                }
            }
        }

        return lag;
    }
}
