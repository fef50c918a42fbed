using Confluent.Kafka;
using Confluent.Kafka.Admin;
using Conveyor.Lag;

namespace Conveyor.Tests.Lag;

/// <summary>The lag line's account of a failed DescribeGroups: the embedded broker is named only for the failure it causes.</summary>
public class DescribeGroupsFailureTests
{
    private const string Servers = "kafka-1:9092";

    [Fact]
    public void The_request_the_cluster_does_not_implement_is_put_down_to_the_embedded_broker()
    {
        var line = DescribeGroupsFailure.Explain(Servers, Described(new Error(ErrorCode.Local_UnsupportedFeature, "Local: Required feature not supported by broker")));

        Assert.Equal(
            "state and members not shown: the cluster at kafka-1:9092 does not implement DescribeGroups (Local: Required feature not supported by broker); "
            + "Conveyor's embedded broker does not, a real Kafka cluster does",
            line);
    }

    [Theory]
    [InlineData(ErrorCode.GroupAuthorizationFailed, "Broker: Group authorization failed")]
    [InlineData(ErrorCode.GroupCoordinatorNotAvailable, "Broker: Coordinator not available")]
    public void Any_other_failure_of_the_group_is_named_and_the_embedded_broker_is_not(ErrorCode code, string reason)
    {
        var line = DescribeGroupsFailure.Explain(Servers, Described(new Error(code, reason)));

        Assert.Equal($"state and members not shown: DescribeGroups failed on the cluster at kafka-1:9092 ({reason})", line);
    }

    [Fact]
    public void A_call_that_failed_as_a_whole_is_named_in_its_own_words()
    {
        var line = DescribeGroupsFailure.Explain(Servers, new KafkaException(new Error(ErrorCode.Local_TimedOut, "Failed while waiting for response from broker: Local: Timed out")));

        Assert.Equal("state and members not shown: DescribeGroups failed on the cluster at kafka-1:9092 (Failed while waiting for response from broker: Local: Timed out)", line);
        Assert.DoesNotContain("embedded", line, StringComparison.Ordinal);
    }

    /// <summary>What the describe call throws when the group's description carries an error: a summary around each group's own.</summary>
    private static DescribeConsumerGroupsException Described(Error groupError) =>
        new(new DescribeConsumerGroupsReport
        {
            ConsumerGroupDescriptions = [new ConsumerGroupDescription { GroupId = "orders", Error = groupError, Members = [] }],
        });

    [Fact]
    public void The_cause_alone_is_what_the_line_says_after_its_prefix_for_an_offset_reset_to_quote()
    {
        var failure = Described(new Error(ErrorCode.GroupAuthorizationFailed, "Broker: Group authorization failed"));

        Assert.Equal("DescribeGroups failed on the cluster at kafka-1:9092 (Broker: Group authorization failed)", DescribeGroupsFailure.Cause(Servers, failure));
        Assert.Equal($"state and members not shown: {DescribeGroupsFailure.Cause(Servers, failure)}", DescribeGroupsFailure.Explain(Servers, failure));
    }
}
