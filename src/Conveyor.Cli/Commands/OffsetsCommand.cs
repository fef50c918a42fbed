using System.CommandLine;
using System.Globalization;
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
        var earliest = new Option<bool>("--to-earliest") { Description = "To the first offset still kept" };
        var latest = new Option<bool>("--to-latest") { Description = "To the end: skip every message there now" };
        var offset = new Option<long?>("--to-offset") { Description = "To this offset in every partition named" };
        var time = new Option<string?>("--to-datetime")
        {
            Description = "To the first message at or after this time (ISO 8601, UTC unless it says otherwise; needs a real cluster)",
        }.MustBe(t => t is null || ParseTime(t) is not null, "a date and time such as 2026-12-01T08:00:00Z");
        var shift = new Option<long?>("--shift-by") { Description = "By this many messages from the committed offset (negative: back)" };
        var execute = new Option<bool>("--execute") { Description = "Commit the new offsets (without it: a dry run that changes nothing)" };
        var command = new Command("reset", "Move a stopped group's committed offsets: prints each partition's current and new offset; --execute commits them")
        {
            kafka.BootstrapServers, kafka.Properties, group, topic, partitions, earliest, latest, offset, time, shift, execute,
        };
        command.Validators.Add(result =>
        {
            var chosen = new Option[] { earliest, latest, offset, time, shift }.Where(o => result.GetResult(o) is { Implicit: false }).ToList();
            if (chosen.Count != 1)
            {
                result.AddError($"offsets reset needs exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by (given: {(chosen.Count == 0 ? "none" : string.Join(", ", chosen.Select(o => o.Name)))}).");
            }
        });
        command.SetAction(async (context, _) =>
        {
            ResetTarget target = context.Get(earliest) ? new ResetTarget.Earliest()
                : context.Get(latest) ? new ResetTarget.Latest()
                : context.Parsed.GetValue(offset) is { } to ? new ResetTarget.ToOffset(to)
                : context.Parsed.GetValue(shift) is { } by ? new ResetTarget.ShiftBy(by)
                : new ResetTarget.ToTime(ParseTime(context.Parsed.GetValue(time)!)!.Value);
            var reset = new OffsetResetRun(kafka.GetSettings(context), context.Get(group), context.Get(topic), context.Get(partitions) ?? [], context.Errors);
            return await reset.RunAsync(target, context.Get(execute), context.Output).ConfigureAwait(false);
        });
        return command;
    }

    private static DateTimeOffset? ParseTime(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
}
