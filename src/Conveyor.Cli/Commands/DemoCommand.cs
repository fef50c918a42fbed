using System.CommandLine;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Conveyor.Cli.CommandLine;
using Conveyor.Cli.Kafka;
using Conveyor.Testing;

namespace Conveyor.Cli.Commands;

/// <summary>
/// <c>conveyor demo</c>: the tutorial system in one process: a broker (embedded unless -b), the
/// topic, a group consumer committing after each message, and a producer; it stops by itself once
/// every message it produced is consumed and committed.
/// </summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var kafka = new KafkaOptions();
        var messages = new Option<int>("--messages", "-n")
        {
            Description = "Number of messages to produce and consume",
            DefaultValueFactory = _ => 20,
        };
        messages.MustBe(v => v >= 1, "1 or more");
        var partitions = new Option<int>("--partitions")
        {
            Description = "Partitions of the topic, when the demo creates it",
            DefaultValueFactory = _ => 6,
        };
        partitions.MustBe(v => v >= 1, "1 or more");
        var timeout = new Option<TimeSpan>("--timeout")
        {
            Description = "Give up when the flow has not finished within this time (hh:mm:ss)",
            DefaultValueFactory = _ => TimeSpan.FromMinutes(2),
        };

        var command = new Command("demo", "Run the tutorial system end to end on an embedded broker (or -b), then stop")
        {
            messages, partitions, timeout,
        };
        kafka.AddTo(command, withGroup: true);
        command.SetAction(async (context, cancellationToken) =>
        {
            var topic = context.Get(kafka.Topic);
            var partitionCount = context.Get(partitions);
            await using var embedded = kafka.TryGetSettings(context) is null
                ? EmbeddedKafkaCluster.Start(new EmbeddedKafkaOptions { Topics = [new TopicSpec(topic, partitionCount)] })
                : null;
            var settings = embedded is null ? kafka.GetSettings(context) : kafka.CreateSettings(context, embedded.BootstrapServers);
            await context.Output.WriteLineAsync(embedded is null
                ? $"using Kafka at {settings.BootstrapServers}"
                : $"embedded Kafka broker started at {settings.BootstrapServers} with topic {topic} ({partitionCount} partitions)")
                .ConfigureAwait(false);

            var metadata = ClusterProbe.Connect(settings, ClusterProbe.DefaultTimeout);
            if (embedded is null && ClusterProbe.PartitionCount(metadata, topic) is null)
            {
                await CreateTopicAsync(settings, topic, partitionCount, context.Output).ConfigureAwait(false);
            }

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(context.Get(timeout));
            var flow = new DemoFlow(settings, topic, context.Get(kafka.Group), context.Output, context.Errors);
            var summary = await flow.RunAsync(context.Get(messages), deadline.Token).ConfigureAwait(false);
            await context.Output.WriteLineAsync(summary.ToString()).ConfigureAwait(false);
            if (summary.IsComplete || cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Success;
            }

            await context.Errors.WriteLineAsync(
                $"error: the demo did not finish within {context.Get(timeout)}; the lines above show how far it got.")
                .ConfigureAwait(false);
            return ExitCodes.Failure;
        });
        return command;
    }

    private static async Task CreateTopicAsync(ClientSettings settings, string topic, int partitions, TextWriter output)
    {
        using var admin = new AdminClientBuilder(settings.Admin()).Build();
        try
        {
            // Replication factor -1: the cluster's default.
            await admin.CreateTopicsAsync([new TopicSpecification { Name = topic, NumPartitions = partitions, ReplicationFactor = -1 }])
                .ConfigureAwait(false);
            await output.WriteLineAsync($"created topic {topic} with {partitions} partitions").ConfigureAwait(false);
        }
        catch (CreateTopicsException e) when (e.Results.All(r => r.Error.Code is ErrorCode.NoError or ErrorCode.TopicAlreadyExists))
        {
            // Someone else created it meanwhile: fine.
        }
        catch (CreateTopicsException e)
        {
            throw new CommandFailedException(
                $"topic '{topic}' does not exist and could not be created ({e.Results[0].Error.Reason}). Create it yourself, or pick another with --topic.");
        }
    }
}
