using System.CommandLine;
using System.Globalization;
using Conveyor.Cli.CommandLine;

namespace Conveyor.Cli.Offsets;

/// <summary>
/// The options that say where partitions go, the same for <c>offsets reset</c> and <c>control
/// rewind</c>: exactly one of <c>--to-earliest</c>, <c>--to-latest</c>, <c>--to-offset</c>,
/// <c>--to-datetime</c>, <c>--shift-by</c>.
/// </summary>
internal sealed class TargetOptions
{
    private readonly Option<bool> _earliest = new("--to-earliest") { Description = "To the first offset still kept" };
    private readonly Option<bool> _latest = new("--to-latest") { Description = "To the end: skip every message there now" };
    private readonly Option<long?> _offset = new Option<long?>("--to-offset") { Description = "To this offset in every partition named" }
        .MustBe(v => v is null or >= 0, "0 or more");

    private readonly Option<string?> _time = new Option<string?>("--to-datetime")
    {
        Description = "To the first message at or after this time (ISO 8601, UTC unless it says otherwise; needs a real cluster)",
    }.MustBe(t => t is null || ParseTime(t) is not null, "a date and time such as 2026-12-01T08:00:00Z");

    private readonly Option<long?> _shift = new("--shift-by") { Description = "By this many messages from the committed offset (negative: back)" };

    /// <summary>Adds the options, and the rule that exactly one is given, to <paramref name="command"/> (named <paramref name="name"/> in the usage error).</summary>
    public void AddTo(Command command, string name)
    {
        Option[] all = [_earliest, _latest, _offset, _time, _shift];
        foreach (var option in all)
        {
            command.Add(option);
        }

        command.Validators.Add(result =>
        {
            var chosen = all.Where(o => result.GetResult(o) is { Implicit: false }).ToList();
            if (chosen.Count != 1)
            {
                result.AddError($"{name} needs exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by (given: {(chosen.Count == 0 ? "none" : string.Join(", ", chosen.Select(o => o.Name)))}).");
            }
        });
    }

    /// <summary>The target given (the validator made sure there is exactly one).</summary>
    public ResetTarget Target(CommandContext context) =>
        context.Get(_earliest) ? new ResetTarget.Earliest()
        : context.Get(_latest) ? new ResetTarget.Latest()
        : context.Parsed.GetValue(_offset) is { } to ? new ResetTarget.ToOffset(to)
        : context.Parsed.GetValue(_shift) is { } by ? new ResetTarget.ShiftBy(by)
        : new ResetTarget.ToTime(ParseTime(context.Parsed.GetValue(_time)!)!.Value);

    private static DateTimeOffset? ParseTime(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed : null;
}
