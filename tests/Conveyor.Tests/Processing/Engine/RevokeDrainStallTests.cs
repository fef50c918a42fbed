using Confluent.Kafka;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>
/// A revoke drains its partitions on the poll thread (up to the revoke timeout) before it returns:
/// meanwhile nothing is fetched, for the partitions the member keeps too. That wait is the engine
/// holding them, not their idle time, or a partition kept across a long drain is reported stalled
/// after far less than the stall timeout of its own idleness.
/// </summary>
public sealed class RevokeDrainStallTests
{
    [Fact]
    public void A_revoke_s_drain_does_not_count_as_idle_time_of_the_partitions_kept()
    {
        var member = new HoldStallMember("revoke-drain");

        member.Rebalances.OnRevoked([new TopicPartitionOffset(member.Held, Offset.Unset)]);
        var drained = member.Now;
        Assert.Equal(member.Options.RevokeTimeout, drained - HoldStallMember.Start.UtcDateTime);

        // 40 s of its own idleness after the drain: 70 s since it last could deliver, not a stall.
        Assert.Null(member.Watchdog.Check(drained + TimeSpan.FromSeconds(40), member.KeptState, member.Positions));

        // Idle for the whole stall timeout after the drain: reported.
        Assert.Equal(member.KeptState, member.Watchdog.Check(drained + member.Options.StallTimeout, member.KeptState, member.Positions));
    }
}
