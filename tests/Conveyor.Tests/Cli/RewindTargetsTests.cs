using Conveyor.Cli.Fleet;
using Conveyor.Cli.Kafka;
using Conveyor.Cli.Offsets;
using Conveyor.Fleet;

namespace Conveyor.Tests.Cli;

public class RewindTargetsTests
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private static readonly ControlCommand Rewind = new("id", "g", ControlKind.Rewind, "alice", Noon) { Topic = "orders", Partitions = [0, 1] };

    [Fact]
    public void A_date_is_resolved_into_each_partitions_first_offset_at_or_after_it_before_the_command_is_sent()
    {
        var lookup = new FakeLookup { ByTime = { [0] = 11, [1] = 3 } };

        var resolved = RewindTargets.Resolve(Rewind, new ResetTarget.ToTime(Noon), lookup);

        Assert.Equal(new Dictionary<int, long> { [0] = 11, [1] = 3 }, resolved.Offsets);
        Assert.Null(resolved.Shift);
        var asked = Assert.Single(lookup.Asked);
        Assert.Equal(Noon, asked.Time);
        Assert.Equal([0, 1], asked.Partitions);
    }

    [Fact]
    public void A_date_some_partition_has_no_message_at_or_after_is_refused()
    {
        var lookup = new FakeLookup { ByTime = { [0] = 11, [1] = null } };

        var refused = Assert.Throws<CommandFailedException>(() => RewindTargets.Resolve(Rewind, new ResetTarget.ToTime(Noon), lookup));

        Assert.StartsWith("partition 1 has no message at or after 2026-12-06T12:00:00.000Z; nothing changed.", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_earliest_and_the_latest_are_resolved_from_each_partitions_watermarks()
    {
        Assert.Equal(new Dictionary<int, long> { [0] = 10, [1] = 0 }, RewindTargets.Resolve(Rewind, new ResetTarget.Earliest(), new FakeLookup()).Offsets);
        Assert.Equal(new Dictionary<int, long> { [0] = 20, [1] = 7 }, RewindTargets.Resolve(Rewind, new ResetTarget.Latest(), new FakeLookup()).Offsets);
    }

    [Fact]
    public void A_shift_is_carried_for_the_owner_and_refused_at_once_when_it_is_already_past_either_end()
    {
        var one = Rewind with { Partitions = [0] };
        var shifted = RewindTargets.Resolve(one, new ResetTarget.ShiftBy(-3), new FakeLookup());
        Assert.Equal(-3, shifted.Shift);
        Assert.Null(shifted.Offsets);
        Assert.Null(shifted.Offset);

        Assert.Contains("--shift-by 6 moves partition 0 from 15 to 21, outside partition 0's offsets 10 (earliest) to 20 (end)",
            Assert.Throws<CommandFailedException>(() => RewindTargets.Resolve(one, new ResetTarget.ShiftBy(6), new FakeLookup())).Message, StringComparison.Ordinal);
        Assert.Contains("partition 1 has no committed offset to shift from",
            Assert.Throws<CommandFailedException>(() => RewindTargets.Resolve(Rewind, new ResetTarget.ShiftBy(1), new FakeLookup())).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_offset_outside_a_partition_is_refused_and_one_inside_every_partition_is_sent_as_it_is()
    {
        Assert.Equal(5, RewindTargets.Resolve(Rewind with { Partitions = [1] }, new ResetTarget.ToOffset(5), new FakeLookup()).Offset);
        Assert.Equal("offset 5 is outside orders[0], which holds 10 to 20: choose an offset in that range. Nothing was sent.",
            Assert.Throws<CommandFailedException>(() => RewindTargets.Resolve(Rewind, new ResetTarget.ToOffset(5), new FakeLookup())).Message);
    }

    /// <summary>Partition 0 keeps offsets 10 to 20 and the group is at 15; partition 1 keeps 0 to 7 and has no committed offset.</summary>
    private sealed class FakeLookup : IPartitionLookup
    {
        public Dictionary<int, long?> ByTime { get; } = [];

        public List<(DateTimeOffset Time, int[] Partitions)> Asked { get; } = [];

        public IReadOnlyList<PartitionOffsets> Read(string topic, IReadOnlyList<int> partitions) =>
            [.. partitions.Select(p => p == 0 ? new PartitionOffsets(0, 15, 10, 20) : new PartitionOffsets(p, null, 0, 7))];

        public IReadOnlyDictionary<int, long?> OffsetsAt(string topic, IReadOnlyList<int> partitions, DateTimeOffset time)
        {
            Asked.Add((time, [.. partitions]));
            return ByTime;
        }
    }
}
