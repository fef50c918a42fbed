using Confluent.Kafka;
using Conveyor.Cli.CommandLine;
using Conveyor.Diagnostics;

namespace Conveyor.Cli.Kafka;

/// <summary>
/// Asks the cluster for its metadata before a command starts, so an unreachable cluster or a
/// missing topic is reported within a bounded time instead of librdkafka retrying forever. The
/// diagnosis is the library's (<see cref="ClusterDiagnosis"/>): told in librdkafka's own words, so a
/// TLS, SASL or DNS problem is not reported as a plain "unreachable", and those that cannot heal by
/// waiting end the probe at once. This class words it for the command line.
/// </summary>
internal static class ClusterProbe
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    /// <param name="settings">The connection.</param>
    /// <param name="timeout">How long the cluster gets to answer.</param>
    /// <param name="errors">Hears librdkafka's log lines when the user asked for them with <c>-X debug=...</c>.</param>
    /// <exception cref="CommandFailedException">
    /// librdkafka cannot make a client with these settings (exit 2), or the cluster did not answer
    /// within the timeout or refused the client (exit 1).
    /// </exception>
    public static Metadata Connect(ClientSettings settings, TimeSpan timeout, TextWriter? errors = null)
    {
        ClusterAnswer answer;
        try
        {
            answer = ClusterDiagnosis.Ask(settings.Admin(), timeout, errors is not null ? settings.LogTo(errors) : null);
        }
        catch (InvalidOperationException e)
        {
            throw new CommandFailedException($"{ClusterDiagnosis.CannotCreate(e.Message)}. Check the -X properties it names.", ExitCodes.Usage);
        }

        return answer.Metadata ?? throw Failure(answer, settings.BootstrapServers, timeout);
    }

    /// <summary>The one line that tells why the cluster gave no metadata, with what to check.</summary>
    /// <param name="answer">The diagnosis, without metadata.</param>
    /// <param name="bootstrapServers">The cluster, for the message.</param>
    /// <param name="timeout">How long the cluster had to answer.</param>
    internal static CommandFailedException Failure(ClusterAnswer answer, string bootstrapServers, TimeSpan timeout) => answer.Trouble switch
    {
        ClusterTrouble.Refused => new CommandFailedException(
            $"could not reach Kafka at {bootstrapServers}: every broker refused the connection ({answer.Reason}). "
            + "Check -b/--bootstrap-servers (or CONVEYOR_BOOTSTRAP_SERVERS) and that the brokers are running; "
            + $"for a local broker run: {CommandName.Of("broker")}"),
        ClusterTrouble.Hopeless => new CommandFailedException(
            $"could not connect to Kafka at {bootstrapServers}: {answer.Reason}. {Advice(answer.Cause)}"),
        _ => new CommandFailedException(
            $"could not reach Kafka at {bootstrapServers} within {timeout.TotalSeconds:0} s ({answer.Reason}). "
            + "Check -b/--bootstrap-servers (or CONVEYOR_BOOTSTRAP_SERVERS) and that the brokers are running and reachable from here; "
            + $"for a local broker run: {CommandName.Of("broker")}"),
    };

    private static string Advice(HopelessCause? cause) => cause switch
    {
        HopelessCause.HostName => "Check the host names in -b/--bootstrap-servers (or CONVEYOR_BOOTSTRAP_SERVERS).",
        HopelessCause.NotKafka => "Check the port in -b/--bootstrap-servers (or CONVEYOR_BOOTSTRAP_SERVERS): it must be a Kafka listener's.",
        _ => "Check the -X security.protocol, sasl.* and ssl.* properties against the cluster's listeners.",
    };

    /// <summary>The number of partitions of <paramref name="topic"/>, or null when the cluster does not have it.</summary>
    public static int? PartitionCount(Metadata metadata, string topic)
    {
        var found = metadata.Topics.FirstOrDefault(t => t.Topic == topic && !t.Error.IsError);
        return found?.Partitions.Count;
    }

    /// <summary>
    /// Warns (without stopping) that the dead-letter topic does not exist: the first dead letter
    /// would create it with the broker's defaults where topics are auto-created (the embedded broker:
    /// 4 partitions), and fail, stopping its partition, where they are not.
    /// </summary>
    public static void WarnIfMissing(Metadata metadata, string topic, string bootstrapServers, string option, TextWriter errors)
    {
        if (PartitionCount(metadata, topic) is null)
        {
            errors.WriteLine(
                $"warning: dead-letter topic '{topic}' (see {option}) does not exist on {bootstrapServers}: a failed message would create it with the broker's "
                + "defaults if it auto-creates topics (the embedded broker does, with 4 partitions), or stop its partition if not. Create it first.");
        }
    }

    /// <param name="metadata">The cluster's metadata.</param>
    /// <param name="topic">The topic the command needs.</param>
    /// <param name="bootstrapServers">The cluster, for the message.</param>
    /// <param name="option">The option that named the topic (<c>--topic</c>, <c>--to</c>), for the message.</param>
    /// <param name="defaulted">The topic is the tutorial's default: nobody gave it.</param>
    /// <exception cref="CommandFailedException">The topic does not exist.</exception>
    public static void RequireTopic(Metadata metadata, string topic, string bootstrapServers, string option, bool defaulted = false)
    {
        if (PartitionCount(metadata, topic) is null)
        {
            var named = defaulted ? $"the tutorial's default; name yours with {option}" : $"given with {option}";
            throw new CommandFailedException(
                $"topic '{topic}' ({named}) does not exist on {bootstrapServers}. Create it first: on a Kafka cluster with "
                + $"kafka-topics.sh --bootstrap-server {bootstrapServers} --create --topic {topic} --partitions 6 (or your platform's tools), "
                + $"on Conveyor's embedded broker by starting it with {CommandName.Of($"broker --topic {topic}:6")}; or check {option}.");
        }
    }
}
