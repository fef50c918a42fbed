using System.Globalization;

namespace Conveyor.Cli.Verify;

/// <summary>An input partition with messages neither processed nor dead-lettered, and where its group's commit stands.</summary>
/// <param name="Partition">The input partition.</param>
/// <param name="Pending">How many of its messages are pending.</param>
/// <param name="FirstOffset">The lowest pending offset.</param>
/// <param name="Committed">The group's committed offset there; -1 when none.</param>
internal sealed record PendingPartition(int Partition, int Pending, long FirstOffset, long Committed)
{
    /// <summary>Groups pending messages (their partition and offset) by partition, in partition order.</summary>
    public static IReadOnlyList<PendingPartition> Of(IEnumerable<(int Partition, long Offset)> pending, IReadOnlyDictionary<int, long> committed) =>
        [.. pending
            .GroupBy(p => p.Partition)
            .OrderBy(g => g.Key)
            .Select(g => new PendingPartition(g.Key, g.Count(), g.Min(p => p.Offset), committed.GetValueOrDefault(g.Key, -1)))];

    /// <summary><c>0 (1000 pending from offset 1000, committed 1000), 3 (...)</c></summary>
    public static string Describe(IEnumerable<PendingPartition> partitions) => string.Join(", ", partitions.Select(p => string.Create(
        CultureInfo.InvariantCulture,
        $"{p.Partition} ({p.Pending} pending from offset {p.FirstOffset}, committed {(p.Committed < 0 ? "none" : p.Committed.ToString(CultureInfo.InvariantCulture))})")));
}
