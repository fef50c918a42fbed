using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Conveyor.Diagnostics;
using Conveyor.Testing;

namespace Conveyor.Cli.Kafka;

/// <summary>
/// Creates the topics a command needs: directly in the embedded broker (whose admin API has no
/// CreateTopics), or through the AdminClient of a real cluster. A topic that already exists is fine.
/// </summary>
internal static class TopicCreator
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <param name="client">The cluster.</param>
    /// <param name="embedded">The embedded broker when the command hosts one; null for a real cluster.</param>
    /// <param name="topics">Names and partition counts.</param>
    /// <param name="output">Hears one line per topic created on a real cluster.</param>
    /// <exception cref="CommandFailedException">A topic could not be created; says which and why.</exception>
    public static async Task EnsureAsync(ClientSettings client, EmbeddedKafkaCluster? embedded, IReadOnlyList<(string Name, int Partitions)> topics, TextWriter output)
    {
        if (topics.Count == 0)
        {
            return;
        }

        if (embedded is not null)
        {
            foreach (var (name, partitions) in topics)
            {
                embedded.CreateTopic(name, partitions);
            }

            return;
        }

        // librdkafka's own log lines would repeat every connection failure on standard error: the failure is told once, below.
        using var admin = new AdminClientBuilder(client.Admin()).WithoutLogLines().Build();
        try
        {
            // Replication factor -1: the cluster's default.
            await admin.CreateTopicsAsync(
                [.. topics.Select(t => new TopicSpecification { Name = t.Name, NumPartitions = t.Partitions, ReplicationFactor = -1 })],
                new CreateTopicsOptions { RequestTimeout = Timeout, OperationTimeout = Timeout }).ConfigureAwait(false);
            foreach (var (name, partitions) in topics)
            {
                await output.WriteLineAsync($"created topic {name} with {partitions} partitions").ConfigureAwait(false);
            }
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
            // Someone else created them meanwhile: fine.
        }
        catch (CreateTopicsException e)
        {
            var failed = e.Results.Where(r => r.Error.Code is not (ErrorCode.NoError or ErrorCode.TopicAlreadyExists));
            throw new CommandFailedException(
                $"could not create {string.Join(", ", failed.Select(r => $"topic '{r.Topic}' ({r.Error.Reason})"))}. Create them yourself, or pick other names.");
        }
        catch (KafkaException e)
        {
            throw new CommandFailedException(
                $"could not create topics {string.Join(", ", topics.Select(t => $"'{t.Name}'"))} ({e.Error.Reason}). Create them yourself, or pick other names.");
        }
    }
}
