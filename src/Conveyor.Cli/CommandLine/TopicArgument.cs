using System.Globalization;
using Conveyor.Testing;

namespace Conveyor.Cli.CommandLine;

/// <summary>A topic to create as <c>conveyor broker --topic</c> takes it: <c>name</c> or <c>name:partitions</c>.</summary>
internal static class TopicArgument
{
    /// <summary>Parses <c>name</c> (one partition) or <c>name:partitions</c>.</summary>
    /// <exception cref="FormatException">The text is empty or the partition count is not a positive number.</exception>
    public static TopicSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var separator = text.LastIndexOf(':');
        var name = separator < 0 ? text : text[..separator];
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new FormatException($"'{text}' names no topic: expected name or name:partitions, e.g. rust:6.");
        }

        if (separator < 0)
        {
            return new TopicSpec(name);
        }

        if (!int.TryParse(text[(separator + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var partitions)
            || partitions < 1)
        {
            throw new FormatException($"'{text}' has no valid partition count: expected name:partitions with partitions >= 1, e.g. rust:6.");
        }

        return new TopicSpec(name, partitions);
    }
}
