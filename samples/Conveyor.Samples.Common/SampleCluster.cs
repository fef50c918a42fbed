using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Conveyor.Configuration;
using Conveyor.Testing;

namespace Conveyor.Samples;

/// <summary>
/// The cluster a sample runs on: the one named by <c>-b host:port</c> (or
/// <c>CONVEYOR_BOOTSTRAP_SERVERS</c>), e.g. a <c>conveyor broker</c> in another terminal, or else
/// an embedded broker of its own. The sample's topics are created where missing.
/// </summary>
public sealed class SampleCluster : IAsyncDisposable
{
    private readonly EmbeddedKafkaCluster? _embedded;

    private SampleCluster(string bootstrapServers, EmbeddedKafkaCluster? embedded)
    {
        BootstrapServers = bootstrapServers;
        _embedded = embedded;
    }

    public string BootstrapServers { get; }

    public KafkaClientProperties Client => new(BootstrapServers);

    public static async Task<SampleCluster> StartAsync(string[] args, TextWriter output, params (string Topic, int Partitions)[] topics)
    {
        var given = BootstrapFrom(args);
        if (given is null)
        {
            var embedded = EmbeddedKafkaCluster.Start();
            foreach (var (topic, partitions) in topics)
            {
                embedded.CreateTopic(topic, partitions);
            }

            await output.WriteLineAsync($"embedded Kafka broker at {embedded.BootstrapServers} with topics {string.Join(", ", topics.Select(t => t.Topic))}").ConfigureAwait(false);
            return new SampleCluster(embedded.BootstrapServers, embedded);
        }

        using var admin = new AdminClientBuilder(new AdminClientConfig { BootstrapServers = given }).Build();
        try
        {
            await admin.CreateTopicsAsync(topics.Select(t => new TopicSpecification { Name = t.Topic, NumPartitions = t.Partitions, ReplicationFactor = 1 })).ConfigureAwait(false);
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
            // Created by an earlier run: the sample reads only what it sends now (see SentOffsets).
        }

        await output.WriteLineAsync($"Kafka cluster at {given}").ConfigureAwait(false);
        return new SampleCluster(given, null);
    }

    /// <summary>Sends the records and returns, per partition written, the offset after the last one.</summary>
    public async Task<SentOffsets> SendAsync(string topic, IEnumerable<(string Key, string Value)> records)
    {
        using var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = BootstrapServers, EnableIdempotence = true }).Build();
        var sent = new SentOffsets();
        foreach (var (key, value) in records)
        {
            var result = await producer.ProduceAsync(topic, new Message<string, string> { Key = key, Value = value }).ConfigureAwait(false);
            sent.Add(result.TopicPartitionOffset);
        }

        return sent;
    }

    public async ValueTask DisposeAsync()
    {
        if (_embedded is not null)
        {
            await _embedded.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static string? BootstrapFrom(string[] args)
    {
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] is "-b" or "--bootstrap-servers")
            {
                return args[i + 1];
            }
        }

        return Environment.GetEnvironmentVariable("CONVEYOR_BOOTSTRAP_SERVERS") is { Length: > 0 } env ? env : null;
    }
}
