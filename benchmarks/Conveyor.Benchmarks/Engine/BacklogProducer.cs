using System.Text;
using Confluent.Kafka;
using Conveyor.Testing;

namespace Conveyor.Benchmarks.Engine;

/// <summary>
/// Creates a topic on the embedded broker and fills it with a backlog: message i has key
/// <c>key-(i mod keys)</c> and goes to partition (i mod keys) mod partitions, so every key stays in
/// one partition and partitions fill evenly. Checks afterwards that the broker kept every message.
/// </summary>
internal sealed class BacklogProducer
{
    private readonly EmbeddedKafkaCluster _cluster;
    private readonly BenchmarkSettings _settings;

    public BacklogProducer(EmbeddedKafkaCluster cluster, BenchmarkSettings settings)
    {
        _cluster = cluster;
        _settings = settings;
    }

    /// <param name="topic">The topic to create and fill.</param>
    /// <param name="partitions">Its partitions.</param>
    /// <param name="messages">Messages in all.</param>
    /// <param name="largeBatches">
    /// Produce batches of about 1 MiB (a long linger): the embedded broker returns whole produced
    /// batches per fetch, so this is how its fetches carry thousands of messages of one partition,
    /// as a real broker's do whatever the batches.
    /// </param>
    public Backlog Produce(string topic, int partitions, int messages, bool largeBatches = false)
    {
        _cluster.CreateTopic(topic, partitions);
        var config = new ProducerConfig
        {
            BootstrapServers = _cluster.BootstrapServers,
            LingerMs = largeBatches ? 1_000 : 5,
            BatchNumMessages = largeBatches ? 100_000 : null,
            BatchSize = 1_000_000,
            QueueBufferingMaxMessages = 1_000_000,
            Acks = Acks.Leader,
        };
        var keys = Enumerable.Range(0, _settings.DistinctKeys).Select(k => Encoding.UTF8.GetBytes($"key-{k}")).ToArray();
        var value = new byte[_settings.MessageBytes];
        Random.Shared.NextBytes(value);
        var failed = 0;
        using (var producer = new ProducerBuilder<byte[], byte[]>(config).Build())
        {
            void Report(DeliveryReport<byte[], byte[]> report)
            {
                if (report.Error.IsError)
                {
                    Interlocked.Increment(ref failed);
                }
            }

            for (var i = 0; i < messages; i++)
            {
                var key = i % keys.Length;
                var partition = new TopicPartition(topic, key % partitions);
                while (true)
                {
                    try
                    {
                        producer.Produce(partition, new Message<byte[], byte[]> { Key = keys[key], Value = value }, Report);
                        break;
                    }
                    catch (ProduceException<byte[], byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                    {
                        producer.Poll(TimeSpan.FromMilliseconds(10));
                    }
                }
            }

            producer.Flush();
        }

        if (failed > 0)
        {
            throw new InvalidOperationException($"{failed} of {messages} messages to '{topic}' were not delivered.");
        }

        CheckRetained(topic, partitions, messages);
        return new Backlog(topic, partitions, messages);
    }

    private void CheckRetained(string topic, int partitions, int messages)
    {
        var total = RetentionCheck.Check(_cluster, topic, partitions);
        if (total != messages)
        {
            throw new InvalidOperationException($"'{topic}' holds {total} messages, expected {messages}.");
        }
    }
}

/// <summary>A topic filled by <see cref="BacklogProducer"/>.</summary>
internal sealed record Backlog(string Topic, int Partitions, int Messages);
