using System.Globalization;

using Conveyor.Lag;

namespace Conveyor.Cli.Lag;

/// <summary>The table <c>conveyor lag</c> prints.</summary>
internal static class LagLines
{
    private static readonly string[] Header = ["TOPIC", "PARTITION", "COMMITTED", "END", "LAG"];

    public static IEnumerable<string> Table(IReadOnlyList<PartitionLag> rows)
    {
        var cells = rows.Select(r => new[]
        {
            r.Topic,
            Invariant(r.Partition),
            r.Committed is { } c ? Invariant(c) : "-",
            Invariant(r.End),
            Invariant(r.Lag),
        }).ToList();
        cells.Add(["total", "", Invariant(rows.Sum(r => r.Committed ?? 0)), Invariant(rows.Sum(r => r.End)), Invariant(rows.Sum(r => r.Lag))]);
        var widths = Header.Select((h, i) => cells.Select(c => c[i].Length).Append(h.Length).Max()).ToArray();
        yield return Format(Header, widths);
        foreach (var row in cells)
        {
            yield return Format(row, widths);
        }
    }

    private static string Format(string[] row, int[] widths) =>
        string.Join("  ", row.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))).TrimEnd();

    private static string Invariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
