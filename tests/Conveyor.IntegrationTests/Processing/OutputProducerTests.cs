using System.Collections.Concurrent;
using System.Text;
using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Conveyor.Processing.Engine;
using Conveyor.Processing.Forwarding;
using Conveyor.Testing;
using Conveyor.TestSupport;

namespace Conveyor.IntegrationTests.Processing;

/// <summary>
/// The output producer on the embedded broker, through Conveyor's native producer and through
/// Confluent.Kafka's (the fallback): records land as given, a refused delivery fails its input,
/// disposing delivers what was handed off, and the native one allocates nothing per input.
/// </summary>
[Collection(ProcessingCollection.Name)]
public class OutputProducerTests(EmbeddedKafkaFixture kafka)
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Outputs_land_with_their_key_value_headers_and_partition(bool native)
    {
        var output = kafka.CreateTopic(partitions: 3);
        var forwarded = new Forwarded();
        using var outputs = Outputs(native, forwarded);
        var headers = new Headers { { "trace", Encoding.UTF8.GetBytes("abc") }, { "nothing", null }, { "trace", Encoding.UTF8.GetBytes("second") } };
        OutputRecord[] records =
        [
            new(output, Encoding.UTF8.GetBytes("k1"), Encoding.UTF8.GetBytes("v1")) { Partition = 2, Headers = headers },
            new(output, null, Encoding.UTF8.GetBytes("no key")) { Partition = 1 },
            new(output, Encoding.UTF8.GetBytes("tomb"), null) { Partition = 0 },
            new(output, [], []) { Partition = 0 },
        ];

        Assert.Null(await (await Settle(outputs, records, new ForwardedInput("in", 0, 7))).WaitAsync(Timeouts.Flow));

        var written = Assert.Single(forwarded.Outputs);
        Assert.Equal([2, 1, 0, 0], written.Select(w => w.Partition.Value));
        var read = KafkaTestClient.ReadAll(kafka.Cluster.BootstrapServers, output, 4, Timeouts.Flow).ToDictionary(r => (r.Partition.Value, r.Offset.Value));
        Assert.Equal(4, read.Count);
        var first = read[(2, written[0].Offset.Value)].Message;
        Assert.Equal(("k1", "v1"), (first.Key, first.Value));
        Assert.Equal(["trace=abc", "nothing=", "trace=second"], first.Headers.Select(h => $"{h.Key}={(h.GetValueBytes() is { } v ? Encoding.UTF8.GetString(v) : "")}"));
        Assert.Null(first.Headers[1].GetValueBytes());
        var noKey = read[(1, written[1].Offset.Value)].Message;
        Assert.Equal((null, "no key"), (noKey.Key, noKey.Value));
        var tombstone = read[(0, written[2].Offset.Value)].Message;
        Assert.Equal(("tomb", null), (tombstone.Key, tombstone.Value));
        var empty = read[(0, written[3].Offset.Value)].Message;
        Assert.Equal(("", ""), (empty.Key, empty.Value));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_delivery_the_broker_refuses_fails_its_input(bool native)
    {
        var output = kafka.CreateTopic(partitions: 1);
        using var outputs = Outputs(native, forwarded: null);
        Assert.Null(await (await Settle(outputs, [OutputRecord.Utf8(output, "k", "first")])).WaitAsync(Timeouts.Flow)); // connected, metadata known

        kafka.Cluster.InjectRequestErrors(KafkaApiKey.Produce, ErrorCode.MsgSizeTooLarge);
        try
        {
            var failure = await (await Settle(outputs, [OutputRecord.Utf8(output, "k", "refused")])).WaitAsync(Timeouts.Flow);
            Assert.Equal(ErrorCode.MsgSizeTooLarge, Assert.Single(Assert.IsType<OutputDeliveryException>(failure).Errors).Code);
        }
        finally
        {
            kafka.Cluster.ClearRequestErrors(KafkaApiKey.Produce);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Disposing_delivers_every_output_handed_off_before(bool native)
    {
        const int inputs = 500;
        var output = kafka.CreateTopic(partitions: 2);
        var outputs = Outputs(native, forwarded: null);
        List<Task<Exception?>> settled = [];
        for (var i = 0; i < inputs; i++)
        {
            settled.Add(await Settle(outputs, [OutputRecord.Utf8(output, $"k{i}", $"v{i}")]));
        }

        outputs.Dispose();

        Assert.All(settled, s => Assert.True(s.IsCompleted)); // every report was served before Dispose returned
        Assert.Empty((await Task.WhenAll(settled)).OfType<Exception>());
        Assert.Equal(inputs, KafkaTestClient.ReadAll(kafka.Cluster.BootstrapServers, output, inputs, Timeouts.Flow).Select(r => r.Message.Value).Distinct().Count());
    }

    [Fact]
    public async Task Handing_off_an_input_to_the_native_producer_allocates_nothing_once_deliveries_are_reused()
    {
        const int inputs = 1_000;
        var output = kafka.CreateTopic(partitions: 2);
        using var outputs = Outputs(native: true, forwarded: null);
        IReadOnlyList<OutputRecord> records = [new OutputRecord(output, [1], new byte[100]) { Partition = 0 }, new OutputRecord(output, [2], new byte[100]) { Partition = 1 }];
        await HandAndSettleAsync(outputs, records, inputs); // as many deliveries in the pool as are measured below, and the JIT warm

        var deliveries = new IPendingAcknowledgement[inputs]; // allocated before: what is measured is the hand-off only
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < inputs; i++)
        {
            deliveries[i] = HandOff(outputs, records);
        }

        var perInput = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)inputs;
        await SettleAllAsync(deliveries);
        Assert.True(perInput < 16, $"{perInput:F0} bytes allocated per input handed off");
    }

    private OutputProducer Outputs(bool native, IForwardingObserver? forwarded)
    {
        var client = new KafkaClientProperties(kafka.Cluster.BootstrapServers);
        var config = ProducerFactory.Config(client, OutputProducer.Linger);
        return native
            ? new OutputProducer(Native.Producing.NativeProducer.Create(config, _ => { }, _ => { }, _ => { }), new ForwardingOptions(), forwarded, _ => { })
            : new OutputProducer(new ProducerBuilder<byte[]?, byte[]?>(config).SetLogHandler((_, _) => { }).Build(), new ForwardingOptions(), forwarded, _ => { });
    }

    // Not async: a Debug build's state machine would count as the hand-off's allocation.
    private static OutputDelivery HandOff(OutputProducer outputs, IReadOnlyList<OutputRecord> records) =>
        outputs.HandAsync(records, null, CancellationToken.None).Result;

    private static async Task HandAndSettleAsync(OutputProducer outputs, IReadOnlyList<OutputRecord> records, int inputs)
    {
        var deliveries = new IPendingAcknowledgement[inputs];
        for (var i = 0; i < inputs; i++)
        {
            deliveries[i] = await outputs.HandAsync(records, null, CancellationToken.None);
        }

        await SettleAllAsync(deliveries);
    }

    private static async Task SettleAllAsync(IPendingAcknowledgement[] deliveries)
    {
        var settled = deliveries.Select(d =>
        {
            var done = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
            d.WhenSettled((_, _, e) => done.TrySetResult(e), Item());
            return done.Task;
        }).ToArray();
        Assert.Empty((await Task.WhenAll(settled).WaitAsync(Timeouts.Flow)).OfType<Exception>());
    }

    /// <summary>Hands <paramref name="records"/> off as one input; the task ends with how it settled (null: every output acknowledged).</summary>
    private static async Task<Task<Exception?>> Settle(OutputProducer outputs, IReadOnlyList<OutputRecord> records, ForwardedInput? input = null)
    {
        var settled = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var delivery = await outputs.HandAsync(records, input, CancellationToken.None);
        delivery.WhenSettled((_, _, e) => settled.TrySetResult(e), Item());
        return settled.Task;
    }

    private static WorkItem Item() => WorkItems.Of();

    private sealed class Forwarded : IForwardingObserver
    {
        public ConcurrentQueue<IReadOnlyList<TopicPartitionOffset>> Outputs { get; } = new();

        public void OnForwarded(TopicPartitionOffset input, IReadOnlyList<TopicPartitionOffset> outputs) => Outputs.Enqueue(outputs);
    }
}
