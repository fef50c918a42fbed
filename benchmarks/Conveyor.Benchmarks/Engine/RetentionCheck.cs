using Confluent.Kafka;
using Conveyor.Testing;

namespace Conveyor.Benchmarks.Engine;

/// <summary>
/// The embedded broker drops a partition's oldest data past ~5 MiB, silently: a topic kept
/// everything written to it only if every partition still starts at offset 0.
/// </summary>
internal static class RetentionCheck
{
    /// <summary>Throws if a partition of <paramref name="topic"/> lost data; returns how many messages the topic holds.</summary>
    public static long Check(EmbeddedKafkaCluster cluster, string topic, int partitions)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = $"watermarks-{Guid.NewGuid():N}",
        }).Build();
        long total = 0;
        for (var p = 0; p < partitions; p++)
        {
            var marks = consumer.QueryWatermarkOffsets(new TopicPartition(topic, p), TimeSpan.FromSeconds(10));
            if (marks.Low.Value != 0)
            {
                throw new InvalidOperationException(
                    $"'{topic}' partition {p} starts at offset {marks.Low.Value}: the embedded broker's retention dropped messages. Use more partitions.");
            }

            total += marks.High.Value;
        }

        return total;
    }
}
