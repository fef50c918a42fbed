using Conveyor.Cli.Kafka;
using Conveyor.Cli.Offsets;

namespace Conveyor.Tests.Cli;

public class OffsetResetPlanTests
{
    // Partition 0 keeps offsets 10 to 20 and the group is at 15; partition 1 has no committed offset.
    private static readonly PartitionOffsets[] Partitions = [new(0, 15, 10, 20), new(1, null, 0, 7)];

    [Fact]
    public void Each_target_moves_every_partition_it_can_reach()
    {
        Assert.Equal([new OffsetMove(0, 15, 10), new OffsetMove(1, null, 0)], OffsetResetPlan.Compute(new ResetTarget.Earliest(), Partitions));
        Assert.Equal([new OffsetMove(0, 15, 20), new OffsetMove(1, null, 7)], OffsetResetPlan.Compute(new ResetTarget.Latest(), Partitions));
        Assert.Equal([new OffsetMove(0, 15, 12)], OffsetResetPlan.Compute(new ResetTarget.ShiftBy(-3), Partitions[..1]));
        Assert.Equal([new OffsetMove(0, 15, 20)], OffsetResetPlan.Compute(new ResetTarget.ShiftBy(5), Partitions[..1]));
        Assert.Equal(
            [new OffsetMove(0, 15, 11), new OffsetMove(1, null, 3)],
            OffsetResetPlan.Compute(new ResetTarget.ToTime(DateTimeOffset.UnixEpoch), Partitions, new Dictionary<int, long?> { [0] = 11, [1] = 3 }));
    }

    [Fact]
    public void A_move_outside_the_kept_offsets_is_refused_not_clamped()
    {
        Assert.Contains("--shift-by 6 moves partition 0 from 15 to 21, outside partition 0's offsets 10 (earliest) to 20 (end)",
            Assert.Throws<CommandFailedException>(() => OffsetResetPlan.Compute(new ResetTarget.ShiftBy(6), Partitions)).Message, StringComparison.Ordinal);
        Assert.Contains("--to-offset 9 is outside partition 0's offsets 10 (earliest) to 20 (end)",
            Assert.Throws<CommandFailedException>(() => OffsetResetPlan.Compute(new ResetTarget.ToOffset(9), Partitions)).Message, StringComparison.Ordinal);
        Assert.Contains("partition 1 has no committed offset to shift from",
            Assert.Throws<CommandFailedException>(() => OffsetResetPlan.Compute(new ResetTarget.ShiftBy(0), Partitions)).Message, StringComparison.Ordinal);
        Assert.Contains("partition 1 has no message at or after 1970-01-01T00:00:00.000Z",
            Assert.Throws<CommandFailedException>(() => OffsetResetPlan.Compute(new ResetTarget.ToTime(DateTimeOffset.UnixEpoch), Partitions, new Dictionary<int, long?> { [0] = 11, [1] = null })).Message, StringComparison.Ordinal);
    }
}
