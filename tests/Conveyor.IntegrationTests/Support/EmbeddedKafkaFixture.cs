using Conveyor.Cli.Kafka;
using Conveyor.Configuration;
using Conveyor.Testing;

namespace Conveyor.IntegrationTests.Support;

/// <summary>One embedded cluster for a collection of tests; each test makes its own topics and groups.</summary>
public sealed class EmbeddedKafkaFixture : IAsyncLifetime
{
    private EmbeddedKafkaCluster? _cluster;

    public EmbeddedKafkaCluster Cluster => _cluster ?? throw new InvalidOperationException("The fixture has not started.");

    internal ClientSettings Settings(params KafkaProperty[] properties) =>
        new(new KafkaClientProperties(Cluster.BootstrapServers, properties));

    /// <summary>A new topic with a unique name.</summary>
    public string CreateTopic(int partitions)
    {
        var name = Names.Unique("topic");
        Cluster.CreateTopic(name, partitions);
        return name;
    }

    /// <summary>The group's committed offsets (next to read) per partition of the topic.</summary>
    public Dictionary<int, long> Committed(string group, string topic, int partitions) =>
        KafkaTestClient.Committed(Cluster.BootstrapServers, group, topic, partitions);

    public Task InitializeAsync()
    {
        _cluster = EmbeddedKafkaCluster.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}
