using System.Diagnostics;
using Confluent.Kafka;
using Conveyor.Testing;

namespace Conveyor.IntegrationTests.Testing;

/// <summary>The embedded broker's own behaviour and fault switches; each test starts its own cluster.</summary>
public class EmbeddedKafkaClusterTests
{
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Creates_the_topics_it_is_given_with_their_partition_counts()
    {
        await using var cluster = EmbeddedKafkaCluster.Start(new EmbeddedKafkaOptions
        {
            Brokers = 3,
            Topics = [new TopicSpec("rust", 6), new TopicSpec("other", 2)],
        });

        var metadata = Metadata(cluster);

        Assert.Equal(3, metadata.Brokers.Count);
        Assert.Equal(6, metadata.Topics.Single(t => t.Topic == "rust").Partitions.Count);
        Assert.Equal(2, metadata.Topics.Single(t => t.Topic == "other").Partitions.Count);
    }

    [Fact]
    public async Task Creating_an_existing_topic_is_refused_with_the_brokers_reason()
    {
        await using var cluster = EmbeddedKafkaCluster.Start(new EmbeddedKafkaOptions { Topics = [new TopicSpec("rust", 6)] });

        var error = Assert.Throws<InvalidOperationException>(() => cluster.CreateTopic("rust", 3));

        Assert.Contains("rust", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Injected_request_errors_reach_the_client_once_each_in_order()
    {
        await using var cluster = EmbeddedKafkaCluster.Start(new EmbeddedKafkaOptions { Topics = [new TopicSpec("t", 1)] });
        using var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = cluster.BootstrapServers }).Build();
        await producer.ProduceAsync("t", new Message<Null, string> { Value = "warm-up" });

        // A permanent error for one request; unlike authorization errors it puts no lasting mark on the topic in the client.
        cluster.InjectRequestErrors(KafkaApiKey.Produce, ErrorCode.MsgSizeTooLarge);

        var failure = await Assert.ThrowsAsync<ProduceException<Null, string>>(() => producer.ProduceAsync("t", new Message<Null, string> { Value = "a" }));
        Assert.Equal(ErrorCode.MsgSizeTooLarge, failure.Error.Code);
        var delivered = await producer.ProduceAsync("t", new Message<Null, string> { Value = "b" });
        Assert.Equal(PersistenceStatus.Persisted, delivered.Status);
    }

    [Fact]
    public async Task A_broker_taken_down_is_unreachable_until_it_is_brought_up()
    {
        await using var cluster = EmbeddedKafkaCluster.Start();

        cluster.SetBrokerDown(1);
        Assert.Throws<KafkaException>(() => Metadata(cluster, TimeSpan.FromSeconds(2)));

        cluster.SetBrokerUp(1);
        Assert.Single(Metadata(cluster).Brokers);
    }

    [Fact]
    public async Task A_KIP848_member_that_vanishes_without_leaving_loses_its_partitions_after_the_session_timeout_set()
    {
        await using var cluster = EmbeddedKafkaCluster.Start(new EmbeddedKafkaOptions { Topics = [new TopicSpec("t", 2)] });
        cluster.SetConsumerGroupSessionTimeout(TimeSpan.FromSeconds(3));
        var config = new ConsumerConfig
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = "vanishing",
            GroupProtocol = GroupProtocol.Consumer,
        };
        var vanishing = new ConsumerBuilder<Ignore, Ignore>(config).SetLogHandler((_, _) => { }).Build();
        vanishing.Subscribe("t");
        var joining = Stopwatch.StartNew();
        while (vanishing.Assignment.Count < 2 && joining.Elapsed < TimeSpan.FromSeconds(20))
        {
            vanishing.Consume(TimeSpan.FromMilliseconds(100));
        }

        Assert.Equal(2, vanishing.Assignment.Count);

        using var survivor = new ConsumerBuilder<Ignore, Ignore>(config).SetLogHandler((_, _) => { }).Build();
        survivor.Subscribe("t");
        survivor.Consume(TimeSpan.FromMilliseconds(100)); // joins: the vanishing member still holds both partitions

        // Disposed without Close: no leave, as a killed process. The broker notices only when the
        // session ends (its own group.consumer.session.timeout.ms: about 50 s without the setting).
        vanishing.Dispose();
        var clock = Stopwatch.StartNew();
        while (survivor.Assignment.Count < 2 && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            survivor.Consume(TimeSpan.FromMilliseconds(100));
        }

        Assert.Equal(2, survivor.Assignment.Count);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"reassigned after {clock.Elapsed.TotalSeconds:F1} s");
        survivor.Close();
    }

    [Fact]
    public async Task A_round_trip_delay_slows_every_response()
    {
        await using var cluster = EmbeddedKafkaCluster.Start();
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.BootstrapServers }).Build();
        admin.GetMetadata(MetadataTimeout);

        cluster.SetRoundTripDelay(1, TimeSpan.FromMilliseconds(400));
        var clock = Stopwatch.StartNew();
        admin.GetMetadata(MetadataTimeout);

        // A lower bound only: the delay is the broker's, so the call cannot be faster.
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(350), $"metadata took {clock.Elapsed.TotalMilliseconds} ms");
    }

    [Fact]
    public async Task Switches_refuse_brokers_that_do_not_exist()
    {
        await using var cluster = EmbeddedKafkaCluster.Start(new EmbeddedKafkaOptions { Brokers = 2 });

        Assert.Throws<ArgumentOutOfRangeException>(() => cluster.SetBrokerDown(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => cluster.SetRoundTripDelay(0, TimeSpan.Zero));
    }

    [Fact]
    public async Task Disposing_twice_is_harmless_and_later_calls_are_refused()
    {
        var cluster = EmbeddedKafkaCluster.Start();

        await cluster.DisposeAsync();
        await cluster.DisposeAsync();

        Assert.Throws<ObjectDisposedException>(() => cluster.CreateTopic("late", 1));
        Assert.Throws<ObjectDisposedException>(() => cluster.DropConnections(KafkaApiKey.Fetch));
    }

    [Fact]
    public async Task A_fault_switch_thrown_while_another_thread_disposes_runs_first_or_is_refused()
    {
        // Many rounds: without the lock a switch could read the cluster, lose the processor to the
        // disposing thread, and then call into a destroyed cluster (a crash or hang of the process).
        for (var round = 0; round < 10; round++)
        {
            var cluster = EmbeddedKafkaCluster.Start();
            using var switched = new SemaphoreSlim(0);
            var switching = Task.Run(() =>
            {
                var calls = 0;
                while (true)
                {
                    try
                    {
                        cluster.SetRoundTripDelay(1, TimeSpan.Zero);
                        cluster.ClearRequestErrors(KafkaApiKey.Fetch);
                    }
                    catch (ObjectDisposedException)
                    {
                        return calls;
                    }

                    if (++calls == 1)
                    {
                        switched.Release();
                    }
                }
            });

            Assert.True(await switched.WaitAsync(TimeSpan.FromSeconds(10)), "the switches ran");
            await cluster.DisposeAsync();

            Assert.True(await switching.WaitAsync(TimeSpan.FromSeconds(10)) > 0);
            Assert.Throws<ObjectDisposedException>(() => cluster.SetBrokerDown(1));
        }
    }

    private static Metadata Metadata(EmbeddedKafkaCluster cluster, TimeSpan? timeout = null)
    {
        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.BootstrapServers })
            .SetLogHandler((_, _) => { })
            .Build();
        return admin.GetMetadata(timeout ?? MetadataTimeout);
    }
}
