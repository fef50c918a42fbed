using System.CommandLine;
using Conveyor.Cli.CommandLine;
using Conveyor.Cli.Kafka;
using Conveyor.Cli.Lag;
using Conveyor.Lag;

namespace Conveyor.Cli.Commands;

/// <summary><c>conveyor lag</c>: a group's committed offset, the end offset and the lag per partition.</summary>
internal static class LagCommand
{
    public static Command Create()
    {
        var kafka = new KafkaOptions();
        var group = new Option<string>("--group", "-g") { Description = "The consumer group", Required = true };
        var topics = new Option<string[]>("--topic", "-t")
        {
            Description = "Topic to show, repeatable (default: every topic the group has committed offsets for)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var watch = new Option<bool>("--watch", "-w") { Description = "Refresh every --interval until Ctrl-C" };
        var interval = new Option<Duration>("--interval")
        {
            Description = $"How often --watch refreshes ({Durations.Forms})",
            DefaultValueFactory = _ => Duration.FromSeconds(2),
        }.MustBe(v => v >= TimeSpan.FromMilliseconds(100), "at least 100ms");
        var command = new Command("lag", "Per partition: the group's committed offset, the end offset and the lag, with totals")
        {
            kafka.BootstrapServers, kafka.Properties, group, topics, watch, interval,
        };
        command.SetAction(async (context, cancellationToken) =>
        {
            var settings = kafka.GetSettings(context);
            var groupId = context.Get(group);
            var given = (context.Get(topics) ?? []).Distinct().ToList();
            var metadata = ClusterProbe.Connect(settings, ClusterProbe.DefaultTimeout);
            foreach (var topic in given)
            {
                ClusterProbe.RequireTopic(metadata, topic, settings.BootstrapServers, "--topic");
            }

            using var lag = new GroupLag(settings.Admin(), groupId, settings.LogTo(context.Errors));
            IReadOnlyList<string> shown = given;
            if (shown.Count == 0)
            {
                shown = await lag.FindCommittedTopicsAsync(metadata).ConfigureAwait(false);
                if (shown.Count == 0)
                {
                    throw new CommandFailedException(
                        $"group {groupId} has no committed offsets on {settings.BootstrapServers}: check --group, or name the topics with --topic.");
                }
            }

            var clear = context.Get(watch) && !Console.IsOutputRedirected && ReferenceEquals(context.Parsed.InvocationConfiguration.Output, Console.Out);
            while (true)
            {
                if (clear)
                {
                    await context.Output.WriteAsync("\u001b[H\u001b[2J").ConfigureAwait(false);
                }

                // Asked again each time: under --watch members come and go and the group's state changes.
                var describe = await lag.DescribeAsync().ConfigureAwait(false);
                await context.Output.WriteLineAsync($"group {groupId} at {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm:ss}Z: {describe}").ConfigureAwait(false);
                if (context.Get(watch))
                {
                    metadata = ClusterProbe.Connect(settings, ClusterProbe.DefaultTimeout);
                }

                foreach (var line in LagLines.Table(lag.Measure(metadata, shown)))
                {
                    await context.Output.WriteLineAsync(line).ConfigureAwait(false);
                }

                if (!context.Get(watch))
                {
                    return ExitCodes.Success;
                }

                await Task.Delay(context.Get(interval), cancellationToken).ConfigureAwait(false);
                await context.Output.WriteLineAsync().ConfigureAwait(false);
            }
        });
        return command;
    }
}
