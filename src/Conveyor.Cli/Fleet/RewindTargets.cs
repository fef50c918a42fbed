using System.Globalization;
using Conveyor.Cli.Kafka;
using Conveyor.Cli.Offsets;
using Conveyor.Fleet;

namespace Conveyor.Cli.Fleet;

/// <summary>
/// Where <c>control rewind</c> resolves each target, before anything is sent. An offset, the
/// earliest, the latest and a date name places in the log as it is when the operator asks, so the
/// CLI resolves them here into one offset per partition (a date through offsets-for-times) and
/// every owner applies plain offsets; a partition they cannot move (an offset outside it, no
/// message at or after the date) refuses the command with nothing sent. A shift is relative to
/// the committed position at the moment the owner applies it, which only the owner knows: the
/// command carries the shift, and the CLI only checks it against the committed offsets now, so a
/// shift already past either end is refused before it is sent (the owner checks again).
/// </summary>
internal static class RewindTargets
{
    /// <summary><paramref name="rewind"/> (topic and partitions named) with its target filled in.</summary>
    /// <exception cref="CommandFailedException">A partition cannot be moved there; nothing is sent.</exception>
    public static ControlCommand Resolve(ControlCommand rewind, ResetTarget target, IPartitionLookup lookup)
    {
        var topic = rewind.Topic!;
        var partitions = rewind.Partitions!;
        var current = lookup.Read(topic, partitions);
        switch (target)
        {
            case ResetTarget.ToOffset to:
                if (current.FirstOrDefault(p => to.Offset < p.Low || to.Offset > p.High) is { } outside)
                {
                    throw new CommandFailedException(Invariant(
                        $"offset {to.Offset} is outside {topic}[{outside.Partition}], which holds {outside.Low} to {outside.High}: choose an offset in that range. Nothing was sent."));
                }

                return rewind with { Offset = to.Offset };
            case ResetTarget.ShiftBy shift:
                OffsetResetPlan.Compute(target, current); // refuses a shift past either end now, or from no committed offset
                return rewind with { Shift = shift.Shift };
            default:
                var byTime = target is ResetTarget.ToTime time ? lookup.OffsetsAt(topic, partitions, time.Time) : null;
                var moves = OffsetResetPlan.Compute(target, current, byTime);
                return rewind with { Offsets = moves.ToDictionary(m => m.Partition, m => m.To) };
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
