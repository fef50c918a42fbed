namespace Conveyor.Diagnostics;

/// <summary>
/// Attribute (tag) names on Conveyor's metrics and activities: the OpenTelemetry messaging
/// semantic conventions where they define one, <c>conveyor.*</c> otherwise.
/// </summary>
public static class MessagingAttributes
{
    /// <summary><c>messaging.system</c>: always <c>kafka</c>.</summary>
    public const string System = "messaging.system";

    /// <summary><c>messaging.consumer.group.name</c>: the consumer group.</summary>
    public const string ConsumerGroup = "messaging.consumer.group.name";

    /// <summary><c>messaging.destination.name</c>: the topic.</summary>
    public const string Destination = "messaging.destination.name";

    /// <summary><c>messaging.destination.partition.id</c>: the partition, as a string.</summary>
    public const string Partition = "messaging.destination.partition.id";

    /// <summary><c>messaging.operation.name</c>: <c>process</c> or <c>send</c>.</summary>
    public const string OperationName = "messaging.operation.name";

    /// <summary><c>messaging.operation.type</c>: <c>process</c> or <c>send</c>.</summary>
    public const string OperationType = "messaging.operation.type";

    /// <summary><c>messaging.kafka.offset</c>: the message's offset.</summary>
    public const string Offset = "messaging.kafka.offset";

    /// <summary><c>error.type</c>: the exception type of a failure.</summary>
    public const string ErrorType = "error.type";

    /// <summary><c>conveyor.rebalance.event</c>: <c>assigned</c>, <c>revoked</c> or <c>lost</c>.</summary>
    public const string RebalanceEvent = "conveyor.rebalance.event";

    /// <summary><c>conveyor.attempt</c>: which handler attempt (1 the first).</summary>
    public const string Attempt = "conveyor.attempt";

    /// <summary>The value of <see cref="System"/>.</summary>
    public const string Kafka = "kafka";
}
