using System.Collections.Concurrent;
using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.DeadLetters;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Conveyor.Processing.Forwarding;
using Conveyor.Processing.Transactions;
using Conveyor.Testing;

namespace Conveyor.IntegrationTests.Processing;

/// <summary>
/// Exactly-once forwarding on the embedded broker. The mock accepts transactions without enforcing
/// them (aborted records stay visible, offsets sent to a transaction are not stored, no fencing),
/// so these tests check what the engine does (commit through transactions, abort, rewind, carry on,
/// lose nothing), not the exactly-once guarantee itself, which needs a real broker.
/// </summary>
[Collection(ProcessingCollection.Name)]
public class ExactlyOnceTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task Exactly_once_commits_offsets_only_through_transactions_on_the_embedded_broker()
    {
        const int count = 200;
        var input = kafka.CreateTopic(partitions: 3);
        var first = kafka.CreateTopic(partitions: 2);
        var second = kafka.CreateTopic(partitions: 2);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, input, Enumerable.Range(0, count).Select(i => ((string?)$"key-{i % 13}", $"m{i}")));

        var recorder = new TransactionRecorder();
        await RunUntil(Options(input, group) with { CommitEveryMessages = 25 }, recorder, (message, _) =>
            ValueTask.FromResult<IReadOnlyList<OutputRecord>>([OutputRecord.Utf8(first, message.Key, message.Value), OutputRecord.Utf8(second, message.Key, message.Value)]),
            () => recorder.TransactionCommittedSum >= count);

        Assert.Empty(recorder.Aborts);
        Assert.True(recorder.Transactions.Count >= 2, $"{recorder.Transactions.Count} transactions");
        Assert.Equal(count, recorder.TransactionCommittedSum);

        // The consumer never committed on its own: the group's offsets went only into transactions
        // (which the mock does not store; a real broker would hold them now).
        Assert.All(kafka.Committed(group, input, 3).Values, offset => Assert.Equal(Offset.Unset.Value, offset));
        foreach (var output in new[] { first, second })
        {
            var values = KafkaTestClient.ReadAll(kafka.Cluster.BootstrapServers, output, count, Timeouts.Flow).Select(r => r.Message.Value!).ToHashSet();
            Assert.Equal(count, values.Count);
        }
    }

    [Fact]
    public async Task An_abort_mid_transaction_rewinds_to_the_last_commit_and_loses_nothing__no_duplicates_needs_a_real_broker()
    {
        const int count = 300;
        var input = kafka.CreateTopic(partitions: 2);
        var output = kafka.CreateTopic(partitions: 2);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, input, Enumerable.Range(0, count).Select(i => ((string?)$"key-{i % 7}", $"m{i}")));

        // Once a third of the input is handled, one produce request of the transaction fails.
        var recorder = new TransactionRecorder();
        var handled = new ConcurrentDictionary<string, int>();
        var injected = 0;
        await RunUntil(Options(input, group) with { CommitEveryMessages = 20 }, recorder, (message, _) =>
        {
            if (handled.AddOrUpdate(message.Value, 1, (_, n) => n + 1) == 1 && handled.Count >= count / 3 && Interlocked.Exchange(ref injected, 1) == 0)
            {
                kafka.Cluster.InjectRequestErrors(KafkaApiKey.Produce, ErrorCode.MsgSizeTooLarge);
            }

            return ValueTask.FromResult<IReadOnlyList<OutputRecord>>([OutputRecord.Utf8(output, message.Key, message.Value)]);
        }, () => recorder.TransactionCommittedSum >= count);

        // The failed produce aborts the transaction. Other handlers of it see their outputs fail
        // too (MsgSizeTooLarge, or librdkafka's Local_PurgeQueue / Local_State while the
        // transaction is in its abortable state), and with librdkafka 2.14.2 one more transaction
        // may abort the same way before the producer recovers: every abort rewinds, none is fatal.
        Assert.NotEmpty(recorder.Aborts);
        Assert.All(recorder.Aborts, a => Assert.False(a.Error.IsFatal));
        foreach (var abort in recorder.Aborts)
        {
            Assert.Equal(2, abort.RewoundTo.Count);
            foreach (var position in abort.RewoundTo)
            {
                // Rewound exactly to what the last committed transaction covered in that partition (or its start).
                var committedBefore = recorder.CommittedBefore(abort.Sequence, position.TopicPartition);
                Assert.Equal(committedBefore ?? Offset.Beginning.Value, position.Offset.Value);
            }
        }

        Assert.Contains(handled.Values, n => n > 1); // messages of the aborted transaction ran again
        Assert.Equal(count, recorder.TransactionCommittedSum);
        var values = KafkaTestClient.ReadUntil(kafka.Cluster.BootstrapServers, output, read => read.Select(r => r.Message.Value).Distinct().Count() >= count, Timeouts.Flow)
            .Select(r => r.Message.Value!).ToHashSet();
        Assert.Equal(count, values.Count);
    }

    [Fact]
    public async Task An_output_too_large_for_the_producer_counts_against_its_input_which_is_dead_lettered_and_the_rest_is_forwarded()
    {
        const int count = 30;
        var input = kafka.CreateTopic(partitions: 2);
        kafka.Cluster.CreateTopic(input + ".dlq", 1);
        var output = kafka.CreateTopic(partitions: 2);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, input, Enumerable.Range(0, count).Select(i => ((string?)$"key-{i % 3}", $"m{i}")));

        // librdkafka refuses a record over message.max.bytes at once with MsgSizeTooLarge, a
        // permanent error: before, m7's transaction aborted and m7 ran again without end.
        var client = new KafkaClientProperties(kafka.Cluster.BootstrapServers, [new("session.timeout.ms", "6000"), new("message.max.bytes", "100000")]);
        var recorder = new TransactionRecorder();
        var calls = new ConcurrentDictionary<string, int>();
        var options = Options(input, group) with
        {
            CommitEveryMessages = 5,
            OnFailure = FailureAction.DeadLetter,
            Retry = new RetryOptions { MaxAttempts = 2, InitialDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(10) },
        };
        await RunUntil(options, recorder, (message, _) =>
        {
            calls.AddOrUpdate(message.Value, 1, (_, n) => n + 1);
            var value = message.Value == "m7" ? new string('x', 200_000) : message.Value;
            return ValueTask.FromResult<IReadOnlyList<OutputRecord>>([OutputRecord.Utf8(output, message.Key, value)]);
        }, () => recorder.TransactionCommittedSum >= count, client);

        var letter = Assert.Single(KafkaTestClient.ReadToEnd(kafka.Cluster.BootstrapServers, input + ".dlq", Timeouts.Flow));
        Assert.Equal("m7", letter.Message.Value);
        Assert.Equal("output", letter.Header(DeadLetterHeaders.FailureKind));
        Assert.Equal("2", letter.Header(DeadLetterHeaders.Attempts));
        Assert.Equal(typeof(OutputDeliveryException).FullName, letter.Header(DeadLetterHeaders.ExceptionType));
        Assert.Contains("MsgSizeTooLarge", letter.Header(DeadLetterHeaders.ExceptionMessage));
        Assert.Equal(2, calls["m7"]); // its handler did not run again for the dead letter
        Assert.NotEmpty(recorder.Aborts);
        Assert.All(recorder.Aborts, a => Assert.False(a.Error.IsFatal));
        var values = KafkaTestClient.ReadUntil(kafka.Cluster.BootstrapServers, output, read => read.Select(r => r.Message.Value).Distinct().Count() >= count - 1, Timeouts.Flow)
            .Select(r => r.Message.Value!).ToHashSet();
        Assert.Equal(Enumerable.Range(0, count).Where(i => i != 7).Select(i => $"m{i}").ToHashSet(), values);
    }

    [Fact]
    public async Task A_restarted_forwarder_with_the_same_transactional_id_recovers_and_loses_nothing__the_mock_restarts_from_the_beginning()
    {
        const int count = 200;
        var input = kafka.CreateTopic(partitions: 2);
        var output = kafka.CreateTopic(partitions: 2);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, input, Enumerable.Range(0, count).Select(i => ((string?)$"key-{i % 5}", $"m{i}")));
        var options = Options(input, group) with { CommitEveryMessages = 10 };
        ForwardingHandler<string, string> handler = (message, _) =>
            ValueTask.FromResult<IReadOnlyList<OutputRecord>>([OutputRecord.Utf8(output, message.Key, message.Value)]);

        // The first instance stops after a few transactions (its open one is aborted or committed by the stop).
        var first = new TransactionRecorder();
        await RunUntil(options, first, handler, () => first.Transactions.Count >= 3);

        // The same transactional id again: InitTransactions fences what the first left behind; on a
        // real broker it resumes at the first instance's last transaction, on the mock at the start.
        var second = new TransactionRecorder();
        await RunUntil(options, second, handler, () => second.TransactionCommittedSum >= count);

        Assert.Empty(second.Aborts);
        var values = KafkaTestClient.ReadUntil(kafka.Cluster.BootstrapServers, output, read => read.Select(r => r.Message.Value).Distinct().Count() >= count, Timeouts.Flow)
            .Select(r => r.Message.Value!).ToHashSet();
        Assert.Equal(count, values.Count);
    }

    [Fact]
    public async Task A_fenced_producer_stops_the_processor_with_a_clear_error__the_mock_only_replays_the_error_code()
    {
        var input = kafka.CreateTopic(partitions: 1);
        var output = kafka.CreateTopic(partitions: 1);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, input, Enumerable.Range(0, 10).Select(i => ((string?)"k", $"m{i}")));

        // A real broker answers PRODUCER_FENCED once a newer producer took the transactional id;
        // the mock does not fence, so the answer is injected into the transaction's commit.
        kafka.Cluster.InjectRequestErrors(KafkaApiKey.EndTxn, ErrorCode.ProducerFenced);
        var recorder = new TransactionRecorder();
        var forwarder = new KafkaProcessorBuilder<string, string>(new KafkaClientProperties(kafka.Cluster.BootstrapServers), Options(input, Names.Unique("group"))).SetObserver(recorder).Forward((message, _) =>
            ValueTask.FromResult<IReadOnlyList<OutputRecord>>([OutputRecord.Utf8(output, message.Key, message.Value)])).Build();
        try
        {
            var stopped = await Assert.ThrowsAsync<ProcessorStoppedException>(() => forwarder.RunAsync().WaitAsync(Timeouts.Flow * 2));
            Assert.Equal(ProcessorStopReason.ClientFatal, stopped.Reason);
            Assert.Contains("fenced", stopped.Message, StringComparison.OrdinalIgnoreCase);
        }
        finally
        {
            kafka.Cluster.ClearRequestErrors(KafkaApiKey.EndTxn);
        }

        Assert.Empty(recorder.Transactions);
        Assert.Empty(recorder.Aborts); // fatal: not aborted and retried, stopped
    }

    // A member joining after another left waits up to session.timeout.ms on the embedded broker.
    private KafkaClientProperties Client => new(kafka.Cluster.BootstrapServers, [new("session.timeout.ms", "6000")]);

    private static ProcessorOptions Options(string topic, string group) => new()
    {
        GroupId = group,
        Topics = [topic],
        Guarantee = DeliveryGuarantee.ExactlyOnce,
        Ordering = OrderingMode.Partition,
        TransactionalId = Names.Unique("txn"),
        CommitInterval = TimeSpan.FromMilliseconds(200),
    };

    private async Task RunUntil(ProcessorOptions options, TransactionRecorder recorder, ForwardingHandler<string, string> handler, Func<bool> done, KafkaClientProperties? client = null)
    {
        try
        {
            await ProcessorRun.ForwardUntilAsync<ITransactionObserver>(client ?? Client, options, recorder, handler, done,
                why: () => "errors: " + string.Join("; ", recorder.Errors.Select(e => $"{e.Code} {e.Reason}")));
        }
        finally
        {
            kafka.Cluster.ClearRequestErrors(KafkaApiKey.Produce);
        }
    }

    /// <summary>Records transaction outcomes in order.</summary>
    private sealed class TransactionRecorder : ITransactionObserver
    {
        private readonly Lock _lock = new();
        private readonly Dictionary<TopicPartition, long> _latest = [];
        private int _sequence;

        public List<(int Sequence, IReadOnlyList<TopicPartitionOffset> Offsets)> Transactions { get; } = [];

        public List<(int Sequence, Error Error, IReadOnlyList<TopicPartitionOffset> RewoundTo)> Aborts { get; } = [];

        public ConcurrentQueue<Error> Errors { get; } = new();

        public long TransactionCommittedSum
        {
            get
            {
                lock (_lock)
                {
                    return _latest.Values.Sum();
                }
            }
        }

        /// <summary>The latest offset committed for the partition by transactions before the given event, or null.</summary>
        public long? CommittedBefore(int sequence, TopicPartition partition)
        {
            lock (_lock)
            {
                return Transactions.Where(t => t.Sequence < sequence).SelectMany(t => t.Offsets).Where(o => o.TopicPartition == partition)
                    .Select(o => (long?)o.Offset.Value).Max();
            }
        }

        public void OnTransactionCommitted(IReadOnlyList<TopicPartitionOffset> offsets)
        {
            lock (_lock)
            {
                Transactions.Add((++_sequence, offsets));
                foreach (var offset in offsets)
                {
                    _latest[offset.TopicPartition] = Math.Max(_latest.GetValueOrDefault(offset.TopicPartition), offset.Offset.Value);
                }
            }
        }

        public void OnTransactionAborted(Error error, IReadOnlyList<TopicPartitionOffset> rewoundTo)
        {
            lock (_lock)
            {
                Aborts.Add((++_sequence, error, rewoundTo));
            }
        }

        public void OnError(Error error) => Errors.Enqueue(error);
    }
}
