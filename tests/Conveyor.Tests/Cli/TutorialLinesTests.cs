using Confluent.Kafka;
using Conveyor.Cli.Tutorial;

namespace Conveyor.Tests.Cli;

public class TutorialLinesTests
{
    private static readonly TopicPartitionOffset At = new("rust", new Partition(2), new Offset(25));

    [Fact]
    public void Delivery_report_reads_as_the_tutorials()
    {
        Assert.Equal("produced message with key user-1 in offset 25 of partition 2", TutorialLines.Produced("user-1", At));
    }

    [Fact]
    public void Delivery_failure_names_the_key_and_the_error()
    {
        var line = TutorialLines.ProduceFailed("user-1", new Error(ErrorCode.MsgSizeTooLarge));

        Assert.StartsWith("failed to produce message with key user-1 - ", line, StringComparison.Ordinal);
        Assert.Contains("too large", line, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Received_line_shows_the_user_in_rusts_debug_format()
    {
        var at = new TopicPartitionOffset("rust", new Partition(0), new Offset(20));

        var line = TutorialLines.Received("user-3", User.Numbered(3), at);

        Assert.Equal("received key user-3 with value User { id: 3, email: \"user-3@foobar.com\" } in offset 20 from partition 0", line);
    }

    [Fact]
    public void Commit_line_reads_as_the_tutorials()
    {
        var committed = new TopicPartitionOffset("rust", new Partition(3), new Offset(53));

        Assert.Equal("committed offset Offset(53) in partition 3", TutorialLines.Committed(committed));
    }

    [Fact]
    public void Commit_failure_reads_as_the_tutorials()
    {
        Assert.StartsWith("error committing offset - ", TutorialLines.CommitFailed(new Error(ErrorCode.RebalanceInProgress)), StringComparison.Ordinal);
    }

    [Fact]
    public void Lost_partitions_blame_the_ended_membership_not_another_member()
    {
        var line = TutorialLines.Lost([new TopicPartition("t", 0), new TopicPartition("t", 1)]);

        Assert.StartsWith("partitions LOST: t[0], t[1] (this member's place in the group ended: its session timed out or the broker could not be reached;", line, StringComparison.Ordinal);
        Assert.DoesNotContain("another member", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Rebalance_lines_name_partitions_in_order()
    {
        var partitions = new[] { new TopicPartition("rust", 5), new TopicPartition("rust", 3), new TopicPartition("rust", 4) };

        Assert.Equal("rebalanced partition 4", TutorialLines.Rebalanced(new Partition(4)));
        Assert.Equal("assigned partitions: rust[3], rust[4], rust[5]", TutorialLines.Assigned(partitions));
        Assert.Equal("partitions REVOKED: rust[3], rust[4], rust[5]", TutorialLines.Revoked(partitions));
        Assert.StartsWith("partitions LOST: rust[3], rust[4], rust[5]", TutorialLines.Lost(partitions), StringComparison.Ordinal);
        Assert.Equal("ALL partitions have been REVOKED", TutorialLines.AllRevoked);
    }

    [Fact]
    public void An_undecodable_value_is_reported_with_partition_offset_and_raw_value()
    {
        var line = TutorialLines.Undecodable("k", At, "bad json", "not json"u8);

        Assert.Contains("in offset 25 from partition 2", line, StringComparison.Ordinal);
        Assert.Contains("bad json", line, StringComparison.Ordinal);
        Assert.EndsWith("raw value: not json", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_long_raw_value_is_shortened()
    {
        var value = new string('x', 1000);

        var line = TutorialLines.Undecodable("k", At, "bad json", System.Text.Encoding.UTF8.GetBytes(value));

        Assert.EndsWith(new string('x', 200) + "...", line, StringComparison.Ordinal);
    }
}
