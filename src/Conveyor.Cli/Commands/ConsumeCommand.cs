using System.CommandLine;
using Conveyor.Cli.CommandLine;
using Conveyor.Cli.Kafka;
using Conveyor.Cli.Tutorial;

namespace Conveyor.Cli.Commands;

/// <summary><c>conveyor consume</c>: the tutorial's group consumer with rebalance and commit callbacks.</summary>
internal static class ConsumeCommand
{
    public static Command Create()
    {
        var kafka = new KafkaOptions();
        var engine = new EngineOptions();
        var commit = new Option<CommitMode>("--commit")
        {
            Description = "Engine: Conveyor's engine (concurrent, retries, dead-letter topic, at-least-once); "
                + "Manual: the tutorial's commit after each message, stopping at the first failure; Auto: librdkafka commits consumed offsets every 5 s",
            DefaultValueFactory = _ => CommitMode.Engine,
        };
        var failRate = FailRateOption();
        var maxMessages = new Option<int?>("--max-messages")
        {
            Description = "Stop after this many messages (default: run until Ctrl-C)",
        }.MustBe(v => v is null or >= 1, "1 or more");
        var seed = new Option<int?>("--seed") { Description = "Seed for --fail-rate's dice, for repeatable runs" };
        var stats = new Option<bool>("--stats")
        {
            Description = "Engine only: print a one-line summary (rate, lag, in-flight, retries, dead letters) every --stats-interval",
        };
        var statsInterval = new Option<Duration>("--stats-interval")
        {
            Description = "How often --stats prints (e.g. 5s, 2m or hh:mm:ss)",
            DefaultValueFactory = _ => Duration.FromSeconds(5),
        }.MustBe(v => v >= TimeSpan.FromMilliseconds(100), "at least 100ms");

        var fleet = new FleetMemberOptions();
        var command = new Command("consume", "Consume as a group member, printing messages, rebalances and commits")
        {
            commit, failRate, maxMessages, seed, stats, statsInterval, fleet.Status, fleet.Control, fleet.Instance, fleet.Interval,
        };
        kafka.AddTo(command, withGroup: true);
        engine.AddTo(command);
        command.SetAction(async (context, cancellationToken) =>
        {
            var settings = kafka.GetSettings(context);
            var consume = new ConsumeSettings(
                context.Get(kafka.Topic),
                context.Get(kafka.Group),
                context.Get(commit),
                context.Get(failRate),
                context.Get(maxMessages),
                context.Get(seed));
            if (consume.Commit == CommitMode.Auto && consume.FailRate > 0)
            {
                throw new CommandFailedException(
                    "--fail-rate needs --commit manual: with automatic commits a failed message would be committed anyway.", ExitCodes.Usage);
            }

            if (context.Get(stats) && consume.Commit != CommitMode.Engine)
            {
                throw new CommandFailedException("--stats needs --commit engine: the statistics come from Conveyor's engine.", ExitCodes.Usage);
            }

            if (fleet.Given(context) && consume.Commit != CommitMode.Engine)
            {
                throw new CommandFailedException("--status-topic, --control-topic and --instance-id need --commit engine: the fleet is Conveyor's engine's.", ExitCodes.Usage);
            }

            var processor = engine.ToProcessorOptions(context, consume.Topic, consume.GroupId) with { Fleet = fleet.ToOptions(context) };
            if (consume.Commit == CommitMode.Engine)
            {
                EngineOptions.Check(processor, Conveyor.Processing.ProcessorKind.Processor);
            }

            var metadata = ClusterProbe.Connect(settings, ClusterProbe.DefaultTimeout, context.Errors);
            ClusterProbe.RequireTopic(metadata, consume.Topic, settings.BootstrapServers, "--topic", kafka.TopicDefaulted(context));
            fleet.RequireTopics(context, metadata, settings.BootstrapServers);
            if (kafka.DefaultsNote(context, withGroup: true) is { } note)
            {
                await context.Output.WriteLineAsync(note).ConfigureAwait(false);
            }

            if (consume.Commit == CommitMode.Engine && processor.OnFailure is Conveyor.Processing.FailureAction.DeadLetter or Conveyor.Processing.FailureAction.RetryTopics)
            {
                ClusterProbe.WarnIfMissing(metadata, processor.DeadLetterTopicFor(consume.Topic), settings.BootstrapServers, "--dead-letter-topic", context.Errors);
            }

            if (consume.Commit == CommitMode.Engine && processor.OnFailure == Conveyor.Processing.FailureAction.RetryTopics)
            {
                for (var number = 1; number <= processor.RetryTopics.Delays.Count; number++)
                {
                    var retryTopic = processor.RetryTopics.TopicFor(consume.Topic, number);
                    if (ClusterProbe.PartitionCount(metadata, retryTopic) is null)
                    {
                        context.Errors.WriteLine($"warning: retry topic '{retryTopic}' does not exist on {settings.BootstrapServers}: create it first; a topic created by the first retry is seen only at the next metadata refresh (topic.metadata.refresh.interval.ms).");
                    }
                }
            }

            if (consume.Commit == CommitMode.Engine)
            {
                var engineConsumer = new EngineConsumer(settings, new EngineSettings(processor, consume.FailRate, consume.MaxMessages, consume.Seed, context.Get(stats) ? context.Get(statsInterval) : null), context.Output, context.Errors);
                await engineConsumer.RunAsync(cancellationToken).ConfigureAwait(false);
                if (engineConsumer.Observer.PartitionsStoppedInRun is > 0 and var stopped && !cancellationToken.IsCancellationRequested)
                {
                    // Ended by --max-messages with failed work left behind: a failure, as for demo and --commit manual.
                    await context.Errors.WriteLineAsync(EngineLines.PartitionsStopped(stopped)).ConfigureAwait(false);
                    return ExitCodes.Failure;
                }

                return ExitCodes.Success;
            }

            using var consumer = new TutorialConsumer(settings, consume, context.Output, context.Errors);
            var outcome = await Task.Factory.StartNew(
                () => consumer.Run(cancellationToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)
                .ConfigureAwait(false);
            return outcome is ConsumeOutcome.ProcessingFailed or ConsumeOutcome.Fatal ? ExitCodes.Failure : ExitCodes.Success;
        });
        return command;
    }

    private static Option<double> FailRateOption()
    {
        var failRate = new Option<double>("--fail-rate")
        {
            Description = "Chance (0 to 1) that processing a message fails: the engine retries it and then dead-letters it; --commit manual stops without committing it",
            DefaultValueFactory = _ => 0,
        };
        failRate.MustBe(v => v is >= 0 and <= 1, "between 0 and 1");
        return failRate;
    }
}
