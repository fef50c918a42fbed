using System.Globalization;
using System.Text.RegularExpressions;

namespace Conveyor.IntegrationTests.Support;

/// <summary>Reads the consumer's <c>assigned partitions: t[0], t[1]</c> lines.</summary>
internal static partial class AssignmentLines
{
    public const string Prefix = "assigned partitions: ";

    /// <summary>The partition numbers of the last assignment line.</summary>
    public static List<int> Latest(IReadOnlyList<string> lines)
    {
        var line = lines.Last(l => l.StartsWith(Prefix, StringComparison.Ordinal));
        return PartitionNumber().Matches(line).Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
    }

    [GeneratedRegex("\\[(\\d+)\\]")]
    private static partial Regex PartitionNumber();
}
