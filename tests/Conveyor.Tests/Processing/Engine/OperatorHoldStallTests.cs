using Confluent.Kafka;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>
/// An operator's pause or rewind releases its partitions as a revoke does: the poll thread waits
/// for their running handlers (up to the revoke timeout), commits and looks offsets up, and fetches
/// nothing meanwhile, for the partitions it keeps too. That hold is not their idle time, or a kept
/// partition is reported stalled after far less than the stall timeout of its own idleness; idle
/// time from before the hold still counts, so a partition stalled before the command is still reported.
/// </summary>
public sealed class OperatorHoldStallTests
{
    [Theory]
    [InlineData("pause")]
    [InlineData("rewind")]
    public void An_operator_command_s_drain_does_not_count_as_idle_time_of_the_partitions_kept(string command)
    {
        var member = new HoldStallMember("operator-hold");
        Run(member, command);
        var held = member.Now;
        Assert.Equal(member.Options.RevokeTimeout, held - HoldStallMember.Start.UtcDateTime);

        // 40 s of its own idleness after the hold: 70 s since it last could deliver, not a stall.
        Assert.Null(member.Watchdog.Check(held + TimeSpan.FromSeconds(40), member.KeptState, member.Positions));

        // Idle for the whole stall timeout after the hold: reported.
        Assert.Equal(member.KeptState, member.Watchdog.Check(held + member.Options.StallTimeout, member.KeptState, member.Positions));
    }

    [Fact]
    public void Idle_time_from_before_an_operator_s_command_still_counts()
    {
        var member = new HoldStallMember("operator-hold");
        member.Clock.Advance(TimeSpan.FromSeconds(50)); // idle 50 s before the command

        Run(member, "pause");

        // 50 s before and 10 s after the 30 s hold: the stall timeout of its own idleness.
        Assert.Equal(member.KeptState, member.Watchdog.Check(member.Now + TimeSpan.FromSeconds(10), member.KeptState, member.Positions));
    }

    /// <summary>An operator pauses the held partition, or rewinds it to its start.</summary>
    private static void Run(HoldStallMember member, string command)
    {
        if (command == "pause")
        {
            member.PauseByOperator();
            member.Holds.Reconcile();
        }
        else
        {
            Assert.Equal([new TopicPartitionOffset(member.Held, 0)], member.Holds.Rewind([new TopicPartitionOffset(member.Held, 0)]).Moved);
        }
    }
}
