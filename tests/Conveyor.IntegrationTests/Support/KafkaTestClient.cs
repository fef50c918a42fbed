using System.Text;
using Confluent.Kafka;

namespace Conveyor.IntegrationTests.Support;

/// <summary>Plain Confluent.Kafka clients for producing test input and reading results back.</summary>
internal static class KafkaTestClient
{
    /// <summary>Produces messages keyed and valued as given; waits for every acknowledgement.</summary>
    public static async Task ProduceAsync(string bootstrap, string topic, IEnumerable<(string? Key, string Value)> messages)
    {
        using var producer = new ProducerBuilder<string?, string>(new ProducerConfig { BootstrapServers = bootstrap, LingerMs = 5 }).Build();
        var pending = messages.Select(m => producer.ProduceAsync(topic, new Message<string?, string> { Key = m.Key, Value = m.Value })).ToList();
        await Task.WhenAll(pending);
    }

    /// <summary>The group's committed offset (next to read) per partition; -1001 where none.</summary>
    public static Dictionary<int, long> Committed(string bootstrap, string group, string topic, int partitions)
    {
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig { BootstrapServers = bootstrap, GroupId = group }).Build();
        return consumer.Committed(Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(10))
            .ToDictionary(c => c.Partition.Value, c => c.Offset.Value);
    }

    /// <summary>Reads exactly <paramref name="count"/> messages of a topic from the beginning.</summary>
    public static List<ConsumeResult<string?, string?>> ReadAll(string bootstrap, string topic, int count, TimeSpan timeout) =>
        ReadUntil(bootstrap, topic, read => read.Count >= count, timeout);

    /// <summary>Reads a topic from the beginning until <paramref name="enough"/> holds for what was read, or the timeout passes.</summary>
    public static List<ConsumeResult<string?, string?>> ReadUntil(string bootstrap, string topic, Func<List<ConsumeResult<string?, string?>>, bool> enough, TimeSpan timeout)
    {
        using var consumer = new ConsumerBuilder<string?, string?>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = Names.Unique("reader"),
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        }).Build();
        consumer.Subscribe(topic);
        var results = new List<ConsumeResult<string?, string?>>();
        var deadline = DateTime.UtcNow + timeout;
        while (!enough(results) && DateTime.UtcNow < deadline)
        {
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { IsPartitionEOF: false } result)
            {
                results.Add(result);
            }
        }

        consumer.Close();
        return results;
    }

    /// <summary>
    /// Reads every partition of a topic from its beginning to its end as of the call (the brokers'
    /// high watermarks), so a test sees every record written before it: unlike <see cref="ReadAll"/>,
    /// which stops at a count, a record more than expected shows. Fails the test when the end is not
    /// reached within the timeout.
    /// </summary>
    public static List<ConsumeResult<string?, string?>> ReadToEnd(string bootstrap, string topic, TimeSpan timeout)
    {
        using var consumer = new ConsumerBuilder<string?, string?>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = Names.Unique("reader"),
            EnableAutoCommit = false,
            EnablePartitionEof = true,
        }).Build();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        var partitions = admin.GetMetadata(topic, timeout).Topics.Single().Partitions.Select(p => new TopicPartition(topic, p.PartitionId)).ToList();
        var ends = partitions.ToDictionary(p => p, p => consumer.QueryWatermarkOffsets(p, timeout).High.Value);
        consumer.Assign(partitions.Select(p => new TopicPartitionOffset(p, Offset.Beginning)));
        var positions = partitions.ToDictionary(p => p, _ => 0L);
        var results = new List<ConsumeResult<string?, string?>>();
        var deadline = DateTime.UtcNow + timeout;
        while (positions.Any(p => p.Value < ends[p.Key]))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{topic} was not read to its end within {timeout}: at {string.Join(", ", positions.Select(p => $"{p.Key.Partition.Value}:{p.Value}/{ends[p.Key]}"))}");
            if (consumer.Consume(TimeSpan.FromMilliseconds(200)) is { } result)
            {
                if (!result.IsPartitionEOF)
                {
                    results.Add(result);
                }

                positions[result.TopicPartition] = result.IsPartitionEOF ? result.Offset.Value : result.Offset.Value + 1;
            }
        }

        consumer.Close();
        return results;
    }

    public static string Header(this ConsumeResult<string?, string?> result, string key) =>
        result.Message.Headers.TryGetLastBytes(key, out var bytes) ? Encoding.UTF8.GetString(bytes) : throw new KeyNotFoundException($"no header {key}");
}
