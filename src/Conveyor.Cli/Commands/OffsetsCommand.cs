using System.CommandLine;
using Conveyor.Cli.CommandLine;
using Conveyor.Cli.Offsets;

namespace Conveyor.Cli.Commands;

/// <summary><c>conveyor offsets reset</c>: move a stopped group's committed offsets; a dry run unless <c>--execute</c>.</summary>
internal static class OffsetsCommand
{
    public static Command Create() => new("offsets", "A consumer group's committed offsets") { Reset() };

    private static Command Reset()
    {
        var kafka = new KafkaOptions();
        var group = new Option<string>("--group", "-g") { Description = "The consumer group", Required = true };
        var topic = new Option<string>("--topic", "-t") { Description = "The topic", Required = true };
        var partitions = new Option<int[]>("--partition", "-p")
        {
            Description = "Partition to move, repeatable (default: every partition of the topic)",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var targets = new TargetOptions();
        var execute = new Option<bool>("--execute") { Description = "Commit the new offsets (without it: a dry run that changes nothing)" };
        var command = new Command("reset", "Move a stopped group's committed offsets: prints each partition's current and new offset; --execute commits them")
        {
            kafka.BootstrapServers, kafka.Properties, group, topic, partitions,
        };
        targets.AddTo(command, "offsets reset");
        command.Add(execute);
        command.SetAction(async (context, _) =>
        {
            var reset = new OffsetResetRun(kafka.GetSettings(context), context.Get(group), context.Get(topic), context.Get(partitions) ?? [], context.Errors);
            return await reset.RunAsync(targets.Target(context), context.Get(execute), context.Output).ConfigureAwait(false);
        });
        return command;
    }
}
