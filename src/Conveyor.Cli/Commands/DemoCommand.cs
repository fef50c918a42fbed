using System.CommandLine;
using Conveyor.Cli.CommandLine;
using Conveyor.Cli.Kafka;
using Conveyor.Cli.Tutorial;
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
        var timeout = new Option<Duration>("--timeout")
        {
            Description = "Give up when the flow has not finished within this time (e.g. 5s, 2m or hh:mm:ss)",
            DefaultValueFactory = _ => Duration.FromMinutes(2),
        }.MustBe(v => v > TimeSpan.Zero, "positive");

        var failRate = new Option<double>("--fail-rate")
        {
            Description = "Chance (0 to 1) that one processing attempt fails; failed messages are retried, then dead-lettered",
            DefaultValueFactory = _ => 0.2,
        }.MustBe(v => v is >= 0 and <= 1, "between 0 and 1");
        var malformed = new Option<int>("--malformed")
        {
            Description = "Messages whose value is not JSON, sent after the users; they go straight to the dead-letter topic",
            DefaultValueFactory = _ => 1,
        }.MustBe(v => v >= 0, "0 or more");
        var seed = new Option<int?>("--seed") { Description = "Seed for --fail-rate's dice, for repeatable runs" };
        var engine = new EngineOptions();

        var command = new Command("demo", "Run the tutorial system end to end on Conveyor's engine, on an embedded broker (or -b), then stop")
        {
            messages, partitions, timeout, failRate, malformed, seed,
        };
        kafka.AddTo(command, withGroup: true);
        engine.AddTo(command);
        command.SetAction(async (context, cancellationToken) =>
        {
            var topic = context.Get(kafka.Topic);
            var partitionCount = context.Get(partitions);
            var processor = engine.ToProcessorOptions(context, topic, context.Get(kafka.Group));
            EngineOptions.Check(processor, Conveyor.Processing.ProcessorKind.Processor);
            await using var embedded = kafka.TryGetSettings(context) is null
                ? EmbeddedKafkaCluster.Start(new EmbeddedKafkaOptions { Topics = [new TopicSpec(topic, partitionCount)] })
                : null;
            var settings = embedded is null ? kafka.GetSettings(context) : kafka.CreateSettings(context, embedded.BootstrapServers);
            await context.Output.WriteLineAsync(embedded is null
                ? $"using Kafka at {settings.BootstrapServers}"
                : $"embedded Kafka broker started at {settings.BootstrapServers} with topic {topic} ({partitionCount} partitions)")
                .ConfigureAwait(false);
            if (kafka.DefaultsNote(context, withGroup: true) is { } note)
            {
                // The demo's own story, so on standard output beside it.
                await context.Output.WriteLineAsync(note).ConfigureAwait(false);
            }

            var deadLetterTopic = processor.DeadLetterTopicFor(topic);
            var metadata = ClusterProbe.Connect(settings, ClusterProbe.DefaultTimeout, context.Errors);
            List<(string, int)> missing = [.. new[] { topic, deadLetterTopic }
                .Where(needed => ClusterProbe.PartitionCount(metadata, needed) is null)
                .Select(needed => (needed, partitionCount))];
            await TopicCreator.EnsureAsync(settings, embedded, missing, context.Output).ConfigureAwait(false);

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(context.Get(timeout));
            var engineSettings = new EngineSettings(processor, context.Get(failRate), Seed: context.Get(seed));
            var flow = new DemoFlow(settings, engineSettings, context.Output, context.Errors);
            var summary = await flow.RunAsync(context.Get(messages), context.Get(malformed), deadline.Token).ConfigureAwait(false);
            await context.Output.WriteLineAsync(summary.ToString()).ConfigureAwait(false);
            if (summary.StoppedPartitions > 0 && !cancellationToken.IsCancellationRequested)
            {
                await context.Errors.WriteLineAsync(EngineLines.PartitionsStopped(summary.StoppedPartitions)).ConfigureAwait(false);
                return ExitCodes.Failure;
            }

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
}
