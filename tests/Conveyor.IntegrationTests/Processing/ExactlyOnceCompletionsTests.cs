using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.IntegrationTests.Support;
using Conveyor.Native;
using Conveyor.Processing;
using Conveyor.Processing.Forwarding;
using Conveyor.Processing.Transactions;
using Conveyor.Testing;

namespace Conveyor.IntegrationTests.Processing;

/// <summary>
/// Exactly-once with persisted completions on the embedded broker: offsets with metadata go to the
/// transaction through librdkafka's <c>rd_kafka_send_offsets_to_transaction</c>. The mock accepts
/// transactional offsets without storing them (and shows aborted records), so a restart there
/// starts from the beginning: these tests check the native call and its errors, not the restart
/// skip, which the simulator and the engine tests check and which needs a real broker end to end.
/// </summary>
[Collection(ProcessingCollection.Name)]
public class ExactlyOnceCompletionsTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public void Offsets_with_metadata_sent_outside_a_transaction_fail_with_librdkafkas_state_error_and_inside_one_commit()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        using var producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig
        {
            BootstrapServers = kafka.Cluster.BootstrapServers,
            TransactionalId = Names.Unique("txn"),
        }).Build();
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig
        {
            BootstrapServers = kafka.Cluster.BootstrapServers,
            GroupId = Names.Unique("group"),
        }).Build();
        producer.InitTransactions(Timeouts.Flow);
        (TopicPartitionOffset, string)[] offsets = [(new TopicPartitionOffset(topic, 0, 3), "finished above 3")];

        var outside = Assert.Throws<KafkaException>(() => OffsetsNative.SendToTransaction(producer, consumer, offsets, Timeouts.Flow));

        Assert.IsNotType<KafkaRetriableException>(outside);
        Assert.IsNotType<KafkaTxnRequiresAbortException>(outside);
        Assert.Equal(ErrorCode.Local_State, outside.Error.Code);
        Assert.False(outside.Error.IsFatal);
        Assert.Contains("state", outside.Error.Reason, StringComparison.OrdinalIgnoreCase);

        producer.BeginTransaction();
        OffsetsNative.SendToTransaction(producer, consumer, offsets, Timeouts.Flow);
        producer.CommitTransaction(Timeouts.Flow);
    }

    [Theory]
    [InlineData(KafkaApiKey.TxnOffsetCommit, ErrorCode.IllegalGeneration)]
    [InlineData(KafkaApiKey.AddOffsetsToTxn, ErrorCode.ProducerFenced)]
    public void The_native_call_fails_as_Confluent_Kafkas_does_for_the_same_broker_error(KafkaApiKey request, ErrorCode error)
    {
        var topic = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");

        var confluent = FailureOf(topic, group, request, error, (producer, consumer, offset) =>
            producer.SendOffsetsToTransaction([offset], consumer.ConsumerGroupMetadata, Timeouts.Flow));
        var native = FailureOf(topic, group, request, error, (producer, consumer, offset) =>
            OffsetsNative.SendToTransaction(producer, consumer, [(offset, "finished above")], Timeouts.Flow));

        Assert.Equal(confluent.GetType(), native.GetType());
        Assert.Equal(confluent.Error.Code, native.Error.Code);
        Assert.Equal(confluent.Error.IsFatal, native.Error.IsFatal);
        Assert.False(string.IsNullOrWhiteSpace(native.Error.Reason));
    }

    private KafkaException FailureOf(string topic, string group, KafkaApiKey request, ErrorCode error, Action<IProducer<byte[]?, byte[]?>, IConsumer<byte[]?, byte[]?>, TopicPartitionOffset> send)
    {
        using var producer = new ProducerBuilder<byte[]?, byte[]?>(new ProducerConfig
        {
            BootstrapServers = kafka.Cluster.BootstrapServers,
            TransactionalId = Names.Unique("txn"),
        }).Build();
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(new ConsumerConfig { BootstrapServers = kafka.Cluster.BootstrapServers, GroupId = group }).Build();
        producer.InitTransactions(Timeouts.Flow);
        producer.BeginTransaction();
        kafka.Cluster.InjectRequestErrors(request, error);
        try
        {
            return Assert.ThrowsAny<KafkaException>(() => send(producer, consumer, new TopicPartitionOffset(topic, 0, 3)));
        }
        finally
        {
            kafka.Cluster.ClearRequestErrors(request);
        }
    }

    [Fact]
    public async Task Exactly_once_under_key_ordering_commits_transactions_past_an_input_waiting_for_its_retry()
    {
        const int count = 20;
        var input = kafka.CreateTopic(partitions: 1);
        var output = kafka.CreateTopic(partitions: 1);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, input, Enumerable.Range(0, count).Select(i => ((string?)(i == 0 ? "slow" : "fast"), $"m{i}")));
        var options = new ProcessorOptions
        {
            GroupId = Names.Unique("group"),
            Topics = [input],
            Guarantee = DeliveryGuarantee.ExactlyOnce,
            Ordering = OrderingMode.Key,
            TransactionalId = Names.Unique("txn"),
            CommitInterval = TimeSpan.FromMilliseconds(200),
            Retry = new RetryOptions { InitialDelay = TimeSpan.FromMinutes(5), MaxDelay = TimeSpan.FromMinutes(5) },
        };

        // m0 fails once and waits minutes for its retry: every other message finishes above it,
        // so each transaction's offset stays at 0, with the rest in its metadata (the native call),
        // and their outputs commit with it.
        var recorder = new Recorder();
        var attempts = 0;
        using var stop = new CancellationTokenSource();
        var forwarder = new KafkaProcessorBuilder<string, string>(new KafkaClientProperties(kafka.Cluster.BootstrapServers), options).SetObserver(recorder).Forward((message, _) =>
            message.Value == "m0" && Interlocked.Increment(ref attempts) == 1
                ? throw new InvalidOperationException("the first attempt fails")
                : ValueTask.FromResult<IReadOnlyList<OutputRecord>>([OutputRecord.Utf8(output, message.Key, message.Value)])).Build();
        var running = forwarder.RunAsync(stop.Token);

        var written = KafkaTestClient.ReadUntil(kafka.Cluster.BootstrapServers, output, read => read.Count >= count - 1, Timeouts.Flow);

        await recorder.WaitForCommit(1).WaitAsync(Timeouts.Flow);
        await stop.CancelAsync();
        await running.WaitAsync(Timeouts.Stop); // the stop commits what finished since the last transaction

        // Every transaction stopped at m0 and carried the rest as finished: a failed native call
        // would have aborted the transaction (abortable) or stopped the processor (fatal).
        Assert.All(recorder.Commits, offsets => Assert.Equal(0, Assert.Single(offsets).Offset.Value));
        Assert.Empty(recorder.Aborts);
        Assert.Empty(recorder.Errors);
        Assert.Equal(Enumerable.Range(1, count - 1).Select(i => $"m{i}"), written.Select(r => r.Message.Value!).Order(StringComparer.Ordinal).OrderBy(v => v.Length));
    }

    private sealed class Recorder : ITransactionObserver
    {
        private readonly Lock _lock = new();
        private readonly List<(int Count, TaskCompletionSource<IReadOnlyList<TopicPartitionOffset>> Done)> _waiters = [];

        public System.Collections.Concurrent.ConcurrentQueue<IReadOnlyList<TopicPartitionOffset>> Commits { get; } = new();

        public System.Collections.Concurrent.ConcurrentQueue<Error> Aborts { get; } = new();

        public System.Collections.Concurrent.ConcurrentQueue<Error> Errors { get; } = new();

        /// <summary>Completes once <paramref name="count"/> transactions committed.</summary>
        public Task<IReadOnlyList<TopicPartitionOffset>> WaitForCommit(int count)
        {
            var done = new TaskCompletionSource<IReadOnlyList<TopicPartitionOffset>>(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_lock)
            {
                _waiters.Add((count, done));
                if (Commits.Count >= count)
                {
                    done.TrySetResult(Commits.Last());
                }
            }

            return done.Task;
        }

        public void OnTransactionCommitted(IReadOnlyList<TopicPartitionOffset> offsets)
        {
            lock (_lock)
            {
                Commits.Enqueue(offsets);
                foreach (var (count, done) in _waiters.Where(w => w.Count <= Commits.Count))
                {
                    done.TrySetResult(offsets);
                }
            }
        }

        public void OnTransactionAborted(Error error, IReadOnlyList<TopicPartitionOffset> rewoundTo) => Aborts.Enqueue(error);

        public void OnError(Error error) => Errors.Enqueue(error);
    }
}
