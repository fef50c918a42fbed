using Conveyor.Configuration;

namespace Conveyor.IntegrationTests.Support;

/// <summary>The client properties of each group protocol the rebalance tests run with.</summary>
internal static class GroupProtocols
{
    /// <param name="protocol"><c>eager</c> (classic, range), <c>cooperative</c> (classic, cooperative-sticky) or <c>kip848</c>.</param>
    public static KafkaProperty[] Properties(string protocol) => protocol switch
    {
        "eager" => [new("session.timeout.ms", "6000"), new("partition.assignment.strategy", "range")],
        "cooperative" => [new("session.timeout.ms", "6000"), new("partition.assignment.strategy", "cooperative-sticky")],
        _ => [new("group.protocol", "consumer")],
    };
}
