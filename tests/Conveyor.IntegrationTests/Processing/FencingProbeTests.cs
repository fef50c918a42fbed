using Conveyor.Configuration;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Conveyor.Processing.Forwarding;
using Conveyor.Processing.Transactions;
using Conveyor.Testing;

namespace Conveyor.IntegrationTests.Processing;

/// <summary>
/// The start-up check of exactly-once: brokers that cannot fence a late transactional offset commit
/// (no KIP-447, Kafka before 2.5) are refused. Each test starts its own cluster, since the versions
/// a cluster announces are set for all of its brokers.
/// </summary>
public class FencingProbeTests
{
    [Fact]
    public void The_probe_hears_every_broker_announce_its_TxnOffsetCommit_version()
    {
        using var cluster = EmbeddedKafkaCluster.Start(new EmbeddedKafkaOptions { Brokers = 3 });

        var support = FencingProbe.Check(new KafkaClientProperties(cluster.BootstrapServers), TimeSpan.FromSeconds(10));

        Assert.Equal([1, 2, 3], support.Brokers.Select(b => b.BrokerId).Order());
        Assert.All(support.Brokers, b => Assert.True(b.MaxVersion >= FencingProbe.FencingVersion, $"broker {b.BrokerId}: {b.MaxVersion}"));
        Assert.Null(support.Refusal);
        Assert.Null(support.Warning);
    }

    [Fact]
    public async Task Exactly_once_refuses_brokers_older_than_Kafka_2_5_at_start_with_one_clear_message()
    {
        using var cluster = EmbeddedKafkaCluster.Start(new EmbeddedKafkaOptions { Brokers = 3 });
        cluster.SetApiVersion(KafkaApiKey.TxnOffsetCommit, 0, 2); // what Kafka 2.4 announces
        var input = Names.Unique("topic");
        cluster.CreateTopic(input, 1);
        var handled = 0;
        var forwarder = new KafkaProcessorBuilder<string, string>(
            new KafkaClientProperties(cluster.BootstrapServers), new ProcessorOptions
            {
                GroupId = Names.Unique("group"),
                Topics = [input],
                Guarantee = DeliveryGuarantee.ExactlyOnce,
                Ordering = OrderingMode.Partition,
                TransactionalId = Names.Unique("txn"),
            }).Forward((message, _) =>
            {
                Interlocked.Increment(ref handled);
                return ValueTask.FromResult<IReadOnlyList<OutputRecord>>([]);
            }).Build();

        var refused = await Assert.ThrowsAsync<ProcessorStoppedException>(() => forwarder.RunAsync().WaitAsync(Timeouts.Flow));

        Assert.Equal(ProcessorStopReason.TransactionsUnavailable, refused.Reason);
        Assert.Contains("KIP-447, Apache Kafka 2.5 or later", refused.Message, StringComparison.Ordinal);
        Assert.Contains("supports TxnOffsetCommit only up to version 2", refused.Message, StringComparison.Ordinal);
        Assert.Equal(0, handled);
    }
}
