using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Conveyor.Lag;

/// <summary>
/// Words a failed DescribeGroups (a group's state and members) for the lag line. Only the failure
/// Conveyor's embedded broker causes is put down to it: it does not implement DescribeGroups, so
/// librdkafka refuses to send the request (<see cref="ErrorCode.Local_UnsupportedFeature"/>), which
/// no Kafka broker since 0.9 makes it do. Any other failure (a timeout, a refused authorization, a
/// coordinator not found) is named in the cluster's or librdkafka's words, with no word of the embedded broker.
/// </summary>
internal static class DescribeGroupsFailure
{
    /// <param name="bootstrapServers">The cluster asked, for the line.</param>
    /// <param name="exception">What the describe call threw.</param>
    public static string Explain(string bootstrapServers, KafkaException exception) => $"state and members not shown: {Cause(bootstrapServers, exception)}";

    /// <summary>Why the cluster could not tell the group's members, in its or librdkafka's words (what <see cref="Explain"/> says after its prefix).</summary>
    /// <param name="bootstrapServers">The cluster asked, for the line.</param>
    /// <param name="exception">What the describe call threw.</param>
    public static string Cause(string bootstrapServers, KafkaException exception)
    {
        var error = GroupError(exception);
        return error.Code == ErrorCode.Local_UnsupportedFeature
            ? $"the cluster at {bootstrapServers} does not implement DescribeGroups ({error.Reason}); Conveyor's embedded broker does not, a real Kafka cluster does"
            : $"DescribeGroups failed on the cluster at {bootstrapServers} ({error.Reason})";
    }

    /// <summary>The group's own error where the exception carries one (the describe call wraps each group's in a summary), else the exception's.</summary>
    private static Error GroupError(KafkaException exception) =>
        exception is DescribeConsumerGroupsException described
            && described.Results.ConsumerGroupDescriptions.FirstOrDefault(g => g.Error is { IsError: true }) is { } failed
            ? failed.Error
            : exception.Error;
}
