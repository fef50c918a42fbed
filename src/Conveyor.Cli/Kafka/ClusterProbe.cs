using Confluent.Kafka;

namespace Conveyor.Cli.Kafka;

/// <summary>
/// Asks the cluster for its metadata before a command starts, so an unreachable cluster or a
/// missing topic is reported within a bounded time instead of librdkafka retrying forever.
/// </summary>
internal static class ClusterProbe
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <exception cref="CommandFailedException">The cluster did not answer within the timeout.</exception>
    public static Metadata Connect(ClientSettings settings, TimeSpan timeout)
    {
        using var admin = new AdminClientBuilder(settings.Admin())
            .SetLogHandler((_, _) => { }) // the failure is reported below, once, not per connection attempt
            .Build();
        try
        {
            return admin.GetMetadata(timeout);
        }
        catch (KafkaException e)
        {
            throw new CommandFailedException(
                $"could not reach Kafka at {settings.BootstrapServers} within {timeout.TotalSeconds:0} s ({e.Error.Reason}). "
                + "Check -b/--bootstrap-servers (or CONVEYOR_BOOTSTRAP_SERVERS) and that the brokers are running and reachable from here; "
                + "for a local broker run: dotnet run --project src/Conveyor.Cli -- broker");
        }
    }

    /// <summary>The number of partitions of <paramref name="topic"/>, or null when the cluster does not have it.</summary>
    public static int? PartitionCount(Metadata metadata, string topic)
    {
        var found = metadata.Topics.FirstOrDefault(t => t.Topic == topic && !t.Error.IsError);
        return found?.Partitions.Count;
    }

    /// <param name="metadata">The cluster's metadata.</param>
    /// <param name="topic">The topic the command needs.</param>
    /// <param name="bootstrapServers">The cluster, for the message.</param>
    /// <param name="option">The option that named the topic (<c>--topic</c>, <c>--to</c>), for the message.</param>
    /// <exception cref="CommandFailedException">The topic does not exist.</exception>
    public static void RequireTopic(Metadata metadata, string topic, string bootstrapServers, string option)
    {
        if (PartitionCount(metadata, topic) is null)
        {
            throw new CommandFailedException(
                $"topic '{topic}' (given with {option}) does not exist on {bootstrapServers}. Create it first: on a Kafka cluster with "
                + $"kafka-topics.sh --bootstrap-server {bootstrapServers} --create --topic {topic} --partitions 6 (or your platform's tools), "
                + $"on Conveyor's embedded broker by starting it with conveyor broker --topic {topic}:6; or check {option}.");
        }
    }
}
