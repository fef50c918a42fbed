using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.IntegrationTests.Support;
using Conveyor.Native.Consuming;
using Conveyor.Processing;
using Conveyor.Processing.Engine;

namespace Conveyor.IntegrationTests.Processing;

/// <summary>
/// The engine's native consume path (<see cref="NativeConsume"/>: <c>rd_kafka_consumer_poll</c>
/// on a Confluent.Kafka consumer's handle) against Confluent.Kafka's own <c>Consume</c> on the
/// embedded broker: the same records, the same errors, and the consumer's callbacks and state
/// kept as Confluent.Kafka keeps them.
/// </summary>
[Collection(ProcessingCollection.Name)]
public class NativeConsumeTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task Both_paths_read_every_field_of_the_same_records_the_same_way()
    {
        var topic = kafka.CreateTopic(partitions: 2);
        using (var producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig { BootstrapServers = kafka.Cluster.BootstrapServers }).Build())
        {
            await producer.ProduceAsync(new TopicPartition(topic, 0), new Message<byte[]?, byte[]?> { Key = "k"u8.ToArray(), Value = "v"u8.ToArray() });
            await producer.ProduceAsync(new TopicPartition(topic, 0), new Message<byte[]?, byte[]?>
            {
                Key = null,
                Value = [],
                Headers = new Headers { { "a", [1, 2] }, { "empty", [] }, { "none", null }, { "a", [3] } },
                Timestamp = new Timestamp(1_700_000_000_000, TimestampType.CreateTime),
            });
            await producer.ProduceAsync(new TopicPartition(topic, 1), new Message<byte[]?, byte[]?> { Key = "tomb"u8.ToArray(), Value = null });
        }

        var confluent = Read(topic, 3, consumer => new ConsumerMessages(consumer));
        var native = Read(topic, 3, consumer => NativeConsume.For(consumer) ?? throw new InvalidOperationException("Confluent.Kafka hides the native handle"));

        Assert.Equal(confluent.Select(Describe), native.Select(Describe));
        Assert.Null(native.Single(r => r.Offset == 0 && r.Partition == 0).Message.Headers); // no headers, no object
    }

    [Fact]
    public void A_subscribed_topic_that_does_not_exist_is_reported_with_the_same_error_by_both_paths()
    {
        var missing = Names.Unique("missing");

        var confluent = FirstError(missing, consumer => new ConsumerMessages(consumer));
        var native = FirstError(missing, consumer => NativeConsume.For(consumer)!);

        Assert.Equal(ErrorCode.UnknownTopicOrPart, native.Code);
        Assert.Equal((confluent.Code, confluent.Reason, confluent.IsFatal), (native.Code, native.Reason, native.IsFatal));
    }

    [Fact]
    public async Task Rebalance_callbacks_run_inside_the_native_poll_on_its_thread_and_the_consumer_keeps_its_state()
    {
        var topic = kafka.CreateTopic(partitions: 2);
        using (var producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig { BootstrapServers = kafka.Cluster.BootstrapServers }).Build())
        {
            await Task.WhenAll(Enumerable.Range(0, 20).Select(i =>
                producer.ProduceAsync(new TopicPartition(topic, i % 2), new Message<byte[]?, byte[]?> { Value = [(byte)i] })));
        }

        var assignedOn = new List<int>();
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(Config())
            .SetPartitionsAssignedHandler((_, _) => assignedOn.Add(Environment.CurrentManagedThreadId))
            .Build();
        var native = NativeConsume.For(consumer)!;
        consumer.Subscribe(topic);

        var read = new List<ConsumeResult<byte[]?, byte[]?>>();
        var deadline = DateTime.UtcNow + Timeouts.Rebalance;
        while (assignedOn.Count == 0 && DateTime.UtcNow < deadline)
        {
            if (native.Consume(TimeSpan.FromMilliseconds(100)) is { } early)
            {
                read.Add(early);
            }
        }

        Assert.Equal([Environment.CurrentManagedThreadId], assignedOn); // served inside the native poll, on this thread
        Assert.Equal(2, consumer.Assignment.Count); // and Confluent.Kafka assigned what its handler was given
        var paused = new TopicPartition(topic, 1);
        consumer.Pause([paused]);
        var afterPause = new List<ConsumeResult<byte[]?, byte[]?>>();
        while (read.Concat(afterPause).Count(r => r.Partition == 0) < 10 && DateTime.UtcNow < deadline)
        {
            if (native.Consume(TimeSpan.FromMilliseconds(100)) is { } result)
            {
                afterPause.Add(result);
            }
        }

        Assert.Equal(10, read.Concat(afterPause).Count(r => r.Partition == 0));
        Assert.DoesNotContain(afterPause, r => r.Partition == 1); // Confluent.Kafka's pause holds for the native poll
        Assert.Equal(10, consumer.Position(new TopicPartition(topic, 0)).Value); // the position moved with what the native poll read
        consumer.Close();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_header_a_handler_adds_to_a_message_without_headers_reaches_its_dead_letter(bool confluentConsume)
    {
        var topic = kafka.CreateTopic(partitions: 1);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, [("k", "1")]);
        var observer = new RecordingObserver();

        await ProcessorRun.UntilAsync<string>(kafka.Cluster.BootstrapServers, Options(topic, confluentConsume) with { Retry = new RetryOptions { MaxAttempts = 1 } }, observer, (message, _) =>
        {
            message.Headers.Add("handler.saw", "yes"u8.ToArray());
            throw new InvalidOperationException("fails for good");
        }, () => observer.DeadLettered.Count == 1);

        var letter = Assert.Single(KafkaTestClient.ReadToEnd(kafka.Cluster.BootstrapServers, topic + ".dlq", Timeouts.Flow));
        Assert.Equal("yes", letter.Header("handler.saw"));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_users_deserializer_gets_empty_headers_not_null_for_a_message_without_headers(bool confluentConsume)
    {
        var topic = kafka.CreateTopic(partitions: 1);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, [("k", "1")]);
        var deserializer = new HeaderCounting();
        var handled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var processor = new KafkaProcessorBuilder<string, string>(new KafkaClientProperties(kafka.Cluster.BootstrapServers), Options(topic, confluentConsume))
            .SetValueDeserializer(deserializer)
            .Handle((_, _) =>
            {
                handled.TrySetResult();
                return ValueTask.CompletedTask;
            }).Build();

        await ProcessorRun.WhileAsync(processor, running => Task.WhenAny(handled.Task, running, Task.Delay(Timeouts.Flow))); // a deserializer that throws dead-letters the message instead

        Assert.True(handled.Task.IsCompletedSuccessfully, "the message was not handled");
        Assert.Equal([0], deserializer.HeaderCounts);
    }

    private List<ConsumeResult<byte[]?, byte[]?>> Read(string topic, int count, Func<IConsumer<byte[]?, byte[]?>, IMessageSource> source)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(Config()).Build();
        consumer.Assign(Enumerable.Range(0, 2).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var reader = source(consumer);
        var read = new List<ConsumeResult<byte[]?, byte[]?>>();
        var deadline = DateTime.UtcNow + Timeouts.Flow;
        while (read.Count < count && DateTime.UtcNow < deadline)
        {
            if (reader.Consume(TimeSpan.FromMilliseconds(100)) is { IsPartitionEOF: false } result)
            {
                read.Add(result);
            }
        }

        return [.. read.OrderBy(r => r.Partition.Value).ThenBy(r => r.Offset.Value)];
    }

    private Error FirstError(string topic, Func<IConsumer<byte[]?, byte[]?>, IMessageSource> source)
    {
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(Config()).Build();
        consumer.Subscribe(topic);
        var reader = source(consumer);
        var deadline = DateTime.UtcNow + Timeouts.Flow;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                reader.Consume(TimeSpan.FromMilliseconds(100));
            }
            catch (ConsumeException e)
            {
                return e.Error;
            }
        }

        throw new TimeoutException($"no error for the missing topic {topic} within {Timeouts.Flow}");
    }

    private ConsumerConfig Config() => new()
    {
        BootstrapServers = kafka.Cluster.BootstrapServers,
        GroupId = Names.Unique("native-consume"),
        AutoOffsetReset = AutoOffsetReset.Earliest,
        EnableAutoCommit = false,
    };

    private ProcessorOptions Options(string topic, bool confluentConsume) => new()
    {
        GroupId = Names.Unique("group"),
        Topics = [topic],
        CommitInterval = TimeSpan.FromMilliseconds(200),
        ConfluentConsume = confluentConsume,
    };

    private static string Describe(ConsumeResult<byte[]?, byte[]?> r) =>
        $"{r.TopicPartitionOffset} epoch={r.LeaderEpoch} ts={r.Message.Timestamp.UnixTimestampMs}/{r.Message.Timestamp.Type} "
        + $"key={Bytes(r.Message.Key)} value={Bytes(r.Message.Value)} headers=[{string.Join(",", (r.Message.Headers ?? []).Select(h => $"{h.Key}:{Bytes(h.GetValueBytes())}"))}]";

    private static string Bytes(byte[]? bytes) => bytes is null ? "null" : Convert.ToHexString(bytes);

    /// <summary>A user's value deserializer that reads the headers it is given (a null set would throw).</summary>
    private sealed class HeaderCounting : IDeserializer<string>
    {
        public List<int> HeaderCounts { get; } = [];

        public string Deserialize(ReadOnlySpan<byte> data, bool isNull, SerializationContext context)
        {
            HeaderCounts.Add(context.Headers.Count);
            return System.Text.Encoding.UTF8.GetString(data);
        }
    }
}
