using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using Confluent.SchemaRegistry.Serdes;
using Conveyor.Configuration;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;

namespace Conveyor.IntegrationTests.Processing;

/// <summary>Confluent.Kafka's asynchronous deserializers (the shape of Schema Registry serdes) plug in as they are.</summary>
[Collection(ProcessingCollection.Name)]
public class AsyncDeserializerTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task An_async_value_deserializer_is_awaited_for_every_message_and_its_failure_is_a_deserialization_failure()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, [.. Enumerable.Range(0, 10).Select(i => ((string?)"k", $"m{i}")), ("k", "bad")]);
        var handled = new ConcurrentQueue<string>();
        var stopped = new TaskCompletionSource<Exception>(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new ProcessorOptions
        {
            GroupId = Names.Unique("group"),
            Topics = [topic],
            Ordering = OrderingMode.Partition,
            OnFailure = FailureAction.StopPartition,
        };
        await using var processor = new KafkaProcessorBuilder<string, string>(new KafkaClientProperties(kafka.Cluster.BootstrapServers), options)
            .SetValueDeserializer(new SlowUtf8())
            .SetObserver(new Stops(stopped))
            .Handle((message, _) =>
            {
                handled.Enqueue(message.Value);
                return ValueTask.CompletedTask;
            })
            .Build();

        await ProcessorRun.WhileAsync(processor, _ => stopped.Task.WaitAsync(Timeouts.Flow));
        var failure = await stopped.Task;

        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"async:m{i}"), handled);
        var deserialization = Assert.IsType<MessageDeserializationException>(failure);
        Assert.Contains("not a message", deserialization.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_schema_registry_json_deserializer_plugs_in_as_it_is()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        using (var producer = new ProducerBuilder<Null, byte[]>(new ProducerConfig { BootstrapServers = kafka.Cluster.BootstrapServers }).Build())
        {
            for (var i = 0; i < 5; i++)
            {
                await producer.ProduceAsync(topic, new Message<Null, byte[]> { Value = WireFormat(schemaId: 1, $"{{\"Id\":\"order-{i}\",\"Quantity\":{i}}}") });
            }
        }

        var orders = new ConcurrentQueue<Order>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var processor = new KafkaProcessorBuilder<Null, Order>(
                new KafkaClientProperties(kafka.Cluster.BootstrapServers),
                new ProcessorOptions { GroupId = Names.Unique("group"), Topics = [topic], Ordering = OrderingMode.Partition })
            .SetValueDeserializer(new JsonDeserializer<Order>()) // no registry needed to read; one validates against the writer's schema
            .Handle((message, _) =>
            {
                orders.Enqueue(message.Value);
                if (orders.Count == 5)
                {
                    all.TrySetResult();
                }

                return ValueTask.CompletedTask;
            })
            .Build();

        await ProcessorRun.WhileAsync(processor, _ => all.Task.WaitAsync(Timeouts.Flow));

        Assert.Equal(Enumerable.Range(0, 5).Select(i => ($"order-{i}", i)), orders.Select(o => (o.Id, o.Quantity)));
    }

    /// <summary>Confluent's wire format: a zero magic byte, the schema id (big-endian), the payload.</summary>
    private static byte[] WireFormat(int schemaId, string json)
    {
        var payload = Encoding.UTF8.GetBytes(json);
        var bytes = new byte[5 + payload.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(1), schemaId);
        payload.CopyTo(bytes, 5);
        return bytes;
    }

    public sealed class Order
    {
        public string Id { get; set; } = "";

        public int Quantity { get; set; }
    }

    /// <summary>Like a Schema Registry deserializer: answers later, on another thread.</summary>
    private sealed class SlowUtf8 : IAsyncDeserializer<string>
    {
        public async Task<string> DeserializeAsync(ReadOnlyMemory<byte> data, bool isNull, SerializationContext context)
        {
            await Task.Yield();
            var text = Encoding.UTF8.GetString(data.Span);
            return text == "bad" ? throw new FormatException("not a message") : "async:" + text;
        }
    }

    private sealed class Stops(TaskCompletionSource<Exception> stopped) : IProcessorObserver
    {
        public void OnPartitionStopped(TopicPartitionOffset message, Exception exception) => stopped.TrySetResult(exception);
    }
}
