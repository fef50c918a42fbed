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

    /// <summary>
    /// For a test that stops a classic member and then starts another in the same group. When the
    /// last member leaves, the embedded broker does not empty the group as Kafka does: it keeps it
    /// joining for the leaver's session.timeout.ms − 1 s, and a member that joins meanwhile waits
    /// that long for its assignment (44 s with librdkafka's default 45 s; 5 s with this).
    /// </summary>
    public static readonly KafkaProperty[] ShortSession = [new("session.timeout.ms", "6000")];
}
