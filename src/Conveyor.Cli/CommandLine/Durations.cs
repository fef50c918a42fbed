using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace Conveyor.Cli.CommandLine;

/// <summary>
/// Durations on the command line: <c>100ms</c>, <c>5s</c>, <c>2m</c>, <c>1h</c> (decimals allowed,
/// e.g. <c>1.5s</c>), <c>0</c>, or .NET's <c>hh:mm:ss[.fff]</c>.
/// </summary>
internal static class Durations
{
    public const string Forms = "e.g. 100ms, 5s, 2m, 1h or hh:mm:ss";

    /// <summary>What <see cref="ParseOrOff"/> reads as <see cref="Timeout.InfiniteTimeSpan"/>, and <see cref="Format"/> writes for it.</summary>
    public const string Off = "off";

    private static readonly (string Suffix, double Milliseconds)[] Units = [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000)];

    /// <summary>Parses a duration; null when <paramref name="text"/> is none of the accepted forms.</summary>
    public static TimeSpan? TryParse(string text)
    {
        text = text.Trim();
        if (text == "0")
        {
            return TimeSpan.Zero; // no unit needed for nothing
        }

        foreach (var (suffix, milliseconds) in Units)
        {
            if (text.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && double.TryParse(text[..^suffix.Length], NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount)
                && !(suffix == "s" && text.EndsWith("ms", StringComparison.OrdinalIgnoreCase)))
            {
                return TimeSpan.FromMilliseconds(amount * milliseconds);
            }
        }

        return text.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var span) && span >= TimeSpan.Zero
            ? span
            : null;
    }

    /// <summary>
    /// Writes a duration as it would be typed: in the largest of h, m, s and ms that holds it whole
    /// (<c>100ms</c>, <c>90s</c>, <c>2m</c>), <c>0</c>, or else <c>hh:mm:ss.fffffff</c>; <see cref="TryParse"/> reads each back.
    /// </summary>
    public static string Format(TimeSpan duration)
    {
        if (duration == TimeSpan.Zero)
        {
            return "0";
        }

        if (duration == Timeout.InfiniteTimeSpan)
        {
            return Off;
        }

        for (var i = Units.Length - 1; i >= 0; i--)
        {
            var (suffix, milliseconds) = Units[i];
            var unit = TimeSpan.FromMilliseconds(milliseconds).Ticks;
            if (duration.Ticks % unit == 0)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{duration.Ticks / unit}{suffix}");
            }
        }

        return duration.ToString("c", CultureInfo.InvariantCulture);
    }

    /// <summary>Makes every duration option under <paramref name="command"/> take the short forms.</summary>
    public static void Apply(Command command)
    {
        foreach (var option in command.Options.OfType<Option<Duration>>())
        {
            option.CustomParser ??= Parse; // one that takes more (ParseOrOff) keeps its own
        }

        foreach (var subcommand in command.Subcommands)
        {
            Apply(subcommand);
        }
    }

    /// <summary>
    /// A duration, or <c>off</c> for <see cref="Timeout.InfiniteTimeSpan"/>: for the options whose
    /// library setting takes that to turn a feature off (<c>--idle-commit-delay</c>).
    /// </summary>
    public static Duration ParseOrOff(ArgumentResult result) =>
        result.Tokens.Count > 0 && string.Equals(result.Tokens[^1].Value.Trim(), Off, StringComparison.OrdinalIgnoreCase)
            ? new Duration(Timeout.InfiniteTimeSpan)
            : Parse(result, $"is neither a duration nor {Off}: {Forms}, or {Off}");

    private static Duration Parse(ArgumentResult result) => Parse(result, $"is not a duration: {Forms}");

    private static Duration Parse(ArgumentResult result, string problem)
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
        if (TryParse(token) is { } duration)
        {
            return new Duration(duration);
        }

        var option = (result.Parent as OptionResult)?.Option.Name ?? "duration";
        result.AddError($"{option} '{token}' {problem}.");
        return default;
    }
}
