using System.CommandLine;
using Conveyor.Cli.CommandLine;
using Conveyor.Testing;

namespace Conveyor.Cli.Commands;

/// <summary><c>conveyor broker</c>: the embedded Kafka cluster as a process of its own, until Ctrl-C.</summary>
internal static class BrokerCommand
{
    public static Command Create()
    {
        var topics = new Option<TopicSpec[]>("--topic", "-t")
        {
            Description = "Topic to create, name or name:partitions, repeatable",
            HelpName = "name[:partitions]",
            Arity = ArgumentArity.ZeroOrMore,
            DefaultValueFactory = _ => [new TopicSpec(KafkaOptions.DefaultTopic, 6)],
            CustomParser = result => result.Tokens.Select(token =>
            {
                try
                {
                    return TopicArgument.Parse(token.Value);
                }
                catch (FormatException e)
                {
                    result.AddError(e.Message);
                    return null!;
                }
            }).ToArray(),
        };
        var brokers = new Option<int>("--brokers")
        {
            Description = "Number of brokers",
            DefaultValueFactory = _ => 1,
        };
        brokers.MustBe(v => v >= 1, "1 or more");
        var bootstrapFile = new Option<FileInfo?>("--bootstrap-file")
        {
            Description = "Also write the bootstrap string to this file (written whole, once the broker is ready)",
        };

        var command = new Command("broker", "Run an embedded Kafka-protocol broker (librdkafka's mock cluster) until Ctrl-C")
        {
            topics, brokers, bootstrapFile,
        };
        command.SetAction(async (context, cancellationToken) =>
        {
            var specs = context.Get(topics);
            await using var cluster = EmbeddedKafkaCluster.Start(new EmbeddedKafkaOptions
            {
                Brokers = context.Get(brokers),
                Topics = specs,
            });
            // The file first: whoever sees the printed line may already look for it.
            if (context.Get(bootstrapFile) is { } file)
            {
                await WriteWholeAsync(file, cluster.BootstrapServers, cancellationToken).ConfigureAwait(false);
            }

            await context.Output.WriteLineAsync(
                $"embedded Kafka broker running with {cluster.BrokerCount} broker(s), topics: {string.Join(", ", specs.Select(s => s.ToString()))}"
                + (context.Parsed.GetResult(topics) is null or { Implicit: true } ? " (the tutorial's default; create your own with --topic name:partitions)" : ""))
                .ConfigureAwait(false);
            await context.Output.WriteLineAsync($"bootstrap servers: {cluster.BootstrapServers}").ConfigureAwait(false);

            await context.Output.WriteLineAsync("press Ctrl-C to stop").ConfigureAwait(false);
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                await context.Output.WriteLineAsync("embedded Kafka broker stopped").ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>Writes to a temporary file and renames it, so a reader never sees half the string.</summary>
    private static async Task WriteWholeAsync(FileInfo file, string text, CancellationToken cancellationToken)
    {
        var temporary = file.FullName + ".tmp";
        await File.WriteAllTextAsync(temporary, text, cancellationToken).ConfigureAwait(false);
        File.Move(temporary, file.FullName, overwrite: true);
    }
}
