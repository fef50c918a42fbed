using System.Globalization;
using Conveyor.Cli.Kafka;

namespace Conveyor.Cli.Offsets;

/// <summary>
/// Where each partition goes for a target, without touching the cluster: a shift or an offset that
/// would leave the partition's kept offsets is refused rather than clamped, because a silent clamp
/// hides a typo (a shift of 10000 meant as 1000) that moves a group further than intended.
/// </summary>
internal static class OffsetResetPlan
{
    /// <summary>The moves, in partition order.</summary>
    /// <param name="target">Where to.</param>
    /// <param name="partitions">The partitions to move, with their offsets.</param>
    /// <param name="byTime">For <see cref="ResetTarget.ToTime"/>: each partition's first offset at or after the time, null when there is none.</param>
    /// <exception cref="CommandFailedException">A partition cannot be moved there; nothing is moved.</exception>
    public static IReadOnlyList<OffsetMove> Compute(ResetTarget target, IReadOnlyList<PartitionOffsets> partitions, IReadOnlyDictionary<int, long?>? byTime = null) =>
        [.. partitions.OrderBy(p => p.Partition).Select(p => new OffsetMove(p.Partition, p.Committed, NewOffset(target, p, byTime)))];

    private static long NewOffset(ResetTarget target, PartitionOffsets p, IReadOnlyDictionary<int, long?>? byTime) => target switch
    {
        ResetTarget.Earliest => p.Low,
        ResetTarget.Latest => p.High,
        ResetTarget.ToOffset to => Within(to.Offset, p, $"{to.Option} is outside"),
        ResetTarget.ShiftBy shift => Within(
            (p.Committed ?? throw Refused($"partition {p.Partition} has no committed offset to shift from; nothing changed. Use --to-offset, --to-earliest or --to-latest."))
                + shift.Shift,
            p,
            Invariant($"{shift.Option} moves partition {p.Partition} from {p.Committed} to {p.Committed + shift.Shift}, outside")),
        ResetTarget.ToTime time => byTime?.GetValueOrDefault(p.Partition) is { } offset
            ? offset
            : throw Refused($"partition {p.Partition} has no message at or after {time.Option[14..]}; nothing changed. Use --to-latest to skip everything, or an earlier time."),
        _ => throw new ArgumentOutOfRangeException(nameof(target)),
    };

    private static long Within(long offset, PartitionOffsets p, string what) =>
        offset >= p.Low && offset <= p.High
            ? offset
            : throw Refused(Invariant($"{what} partition {p.Partition}'s offsets {p.Low} (earliest) to {p.High} (end); nothing changed. Use --to-earliest or --to-latest, or a value in that range."));

    private static CommandFailedException Refused(string message) => new(message);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
