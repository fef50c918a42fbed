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

    public static string Header(this ConsumeResult<string?, string?> result, string key) =>
        result.Message.Headers.TryGetLastBytes(key, out var bytes) ? Encoding.UTF8.GetString(bytes) : throw new KeyNotFoundException($"no header {key}");
}
