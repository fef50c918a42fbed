using System.Text.Json;
using Confluent.Kafka;

namespace Conveyor.Diagnostics;

/// <summary>Reads the per-partition consumer lag and end offsets out of librdkafka's statistics JSON.</summary>
internal static class ConsumerStatistics
{
    /// <summary>
    /// <c>consumer_lag</c> of every partition this consumer fetches: high watermark minus committed
    /// offset. Partitions whose lag librdkafka does not know yet (-1, e.g. nothing committed) are left out.
    /// </summary>
    public static Dictionary<TopicPartition, long> Lag(string json) => Read(json).Lag;

    /// <summary>
    /// Each fetched partition's lag (as <see cref="Lag(string)"/>) and its end offset: <c>hi_offset</c>,
    /// the high watermark of the consumer's last fetch, known even where the lag is not (nothing
    /// committed yet). Unknown values (-1) are left out.
    /// </summary>
    public static (Dictionary<TopicPartition, long> Lag, Dictionary<TopicPartition, long> Ends) Read(string json)
    {
        var lag = new Dictionary<TopicPartition, long>();
        var ends = new Dictionary<TopicPartition, long>();
        using var document = JsonDocument.Parse(json);
        if (!document.RootElement.TryGetProperty("topics", out var topics))
        {
            return (lag, ends);
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
                if (!p.TryGetProperty("partition", out var id) || id.GetInt32() < 0)
                {
                    continue;
                }

                var at = new TopicPartition(topic.Name, id.GetInt32());
                if (p.TryGetProperty("consumer_lag", out var value) && value.GetInt64() >= 0)
                {
                    lag[at] = value.GetInt64();
                }

                if (p.TryGetProperty("hi_offset", out var end) && end.GetInt64() >= 0)
                {
                    ends[at] = end.GetInt64();
                }
            }
        }

        return (lag, ends);
    }
}
