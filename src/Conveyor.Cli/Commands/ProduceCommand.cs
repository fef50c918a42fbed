using System.CommandLine;
using Conveyor.Cli.CommandLine;
using Conveyor.Cli.Kafka;
using Conveyor.Cli.Tutorial;

namespace Conveyor.Cli.Commands;

/// <summary><c>conveyor produce</c>: the tutorial's producer, with one delivery report per message.</summary>
internal static class ProduceCommand
{
    public static Command Create()
    {
        var kafka = new KafkaOptions();
        var count = new Option<int>("--count", "-n")
        {
            Description = "Number of User messages to send (user-1, user-2, ...)",
            DefaultValueFactory = _ => 10,
        };
        count.MustBe(v => v >= 0, "0 or more");
        var firstId = new Option<long>("--first-id")
        {
            Description = "Id of the first user (0 or more)",
            DefaultValueFactory = _ => 1,
        };
        firstId.MustBe(v => v >= 0, "0 or more"); // ids number the users (user-1, user-2, ...): a negative one is a typo
        var rate = new Option<double>("--rate")
        {
            Description = "Messages per second; 0 sends as fast as the broker takes them",
            DefaultValueFactory = _ => 0,
        };
        rate.MustBe(v => v >= 0, "0 or more");
        var stdin = new Option<bool>("--stdin")
        {
            Description = "Send one message per key<TAB>value line read from standard input instead of User messages",
        };

        var keyFormat = new Option<DataFormat>("--key-format")
        {
            Description = "With --stdin: how keys are written: text (the bytes as they are), base64 or hex",
            DefaultValueFactory = _ => DataFormat.Text,
        };
        var valueFormat = new Option<DataFormat>("--value-format")
        {
            Description = "With --stdin: how values are written: text (the bytes as they are), base64 or hex",
            DefaultValueFactory = _ => DataFormat.Text,
        };

        var command = new Command("produce", "Send keyed User JSON messages and print each delivery report") { count, firstId, rate, stdin, keyFormat, valueFormat };
        kafka.AddTo(command, withGroup: false);
        command.SetAction(async (context, cancellationToken) =>
        {
            if (!context.Get(stdin) && (context.Parsed.GetResult(keyFormat) is { Implicit: false } || context.Parsed.GetResult(valueFormat) is { Implicit: false }))
            {
                throw new CommandFailedException("--key-format and --value-format apply to --stdin lines only: add --stdin.", ExitCodes.Usage);
            }

            var settings = kafka.GetSettings(context);
            var topic = context.Get(kafka.Topic);
            // A missing topic is an error, not a new topic: a broker that auto-creates topics (the
            // embedded one does, with 4 partitions) would otherwise create it with its defaults.
            var metadata = ClusterProbe.Connect(settings, ClusterProbe.DefaultTimeout, context.Errors);
            ClusterProbe.RequireTopic(metadata, topic, settings.BootstrapServers, "--topic", kafka.TopicDefaulted(context));
            if (kafka.DefaultsNote(context, withGroup: false) is { } note)
            {
                await context.Output.WriteLineAsync(note).ConfigureAwait(false);
            }

            using var producer = new TutorialProducer(settings, context.Output, context.Errors);
            if (context.Get(stdin))
            {
                using var input = Console.OpenStandardInput();
                await producer.ProduceLinesAsync(topic, input, context.Get(keyFormat), context.Get(valueFormat), cancellationToken).ConfigureAwait(false);
                return ReportLines(producer, context.Errors);
            }
            else
            {
                await producer.ProduceUsersAsync(topic, context.Get(count), context.Get(firstId), context.Get(rate), cancellationToken)
                    .ConfigureAwait(false);
                if (cancellationToken.IsCancellationRequested && producer.Sent < context.Get(count))
                {
                    // Stopped early: say how far it got, so a short run is not mistaken for a whole one.
                    await context.Errors.WriteLineAsync(FormattableString.Invariant(
                        $"stopped before the end: sent {producer.Sent} of {context.Get(count)} messages, {producer.Delivered} delivered")).ConfigureAwait(false);
                }
            }

            return Report(producer, context.Errors);
        });
        return command;
    }

    /// <summary>The summary of <c>--stdin</c>: every line is accounted for; exit 1 if any was not delivered (empty lines aside).</summary>
    private static int ReportLines(TutorialProducer producer, TextWriter errors)
    {
        var unacknowledged = producer.Sent - producer.Delivered - producer.Failed;
        var failed = producer.Failed + producer.Rejected;
        var lines = producer.Sent + producer.Rejected + producer.Skipped;
        var summary = FormattableString.Invariant(
            $"{lines} line{(lines == 1 ? "" : "s")}: {producer.Delivered} delivered, {failed} failed ({producer.Rejected} not in the format given), {producer.Skipped} empty skipped");
        if (failed == 0 && unacknowledged == 0)
        {
            errors.WriteLine(summary);
            return ExitCodes.Success;
        }

        errors.WriteLine(unacknowledged == 0
            ? $"error: {summary}; see the lines above."
            : $"error: {summary}, {unacknowledged} not acknowledged before stopping; see the lines above.");
        return ExitCodes.Failure;
    }

    private static int Report(TutorialProducer producer, TextWriter errors)
    {
        var unacknowledged = producer.Sent - producer.Delivered - producer.Failed;
        if (producer.Failed == 0 && unacknowledged == 0)
        {
            return ExitCodes.Success;
        }

        errors.WriteLine(
            $"error: {producer.Failed} of {producer.Sent} messages failed and {unacknowledged} were not acknowledged before stopping; see the lines above.");
        return ExitCodes.Failure;
    }
}
