using Conveyor.Processing;

namespace Conveyor.DeadLetters;

/// <summary>The headers Conveyor adds to a dead-lettered message (values are UTF-8 text), beside the original headers.</summary>
public static class DeadLetterHeaders
{
    /// <summary>The topic the message was consumed from.</summary>
    public const string SourceTopic = "conveyor.source.topic";

    /// <summary>Its partition there.</summary>
    public const string SourcePartition = "conveyor.source.partition";

    /// <summary>Its offset there.</summary>
    public const string SourceOffset = "conveyor.source.offset";

    /// <summary>Its original timestamp, Unix milliseconds.</summary>
    public const string SourceTimestamp = "conveyor.source.timestamp";

    /// <summary>The consumer group that failed it.</summary>
    public const string ConsumerGroup = "conveyor.consumer.group";

    /// <summary><c>handler</c> (the handler threw) or <c>deserialization</c> (key or value could not be read).</summary>
    public const string FailureKind = "conveyor.failure.kind";

    /// <summary>The last exception's type.</summary>
    public const string ExceptionType = "conveyor.exception.type";

    /// <summary>The last exception's message.</summary>
    public const string ExceptionMessage = "conveyor.exception.message";

    /// <summary>The last exception with its stack trace, cut to 4,000 characters.</summary>
    public const string ExceptionStackTrace = "conveyor.exception.stacktrace";

    /// <summary>Handler attempts made.</summary>
    public const string Attempts = "conveyor.attempts";

    /// <summary>When it failed for good, ISO 8601.</summary>
    public const string FailedAt = "conveyor.failed.at";

    /// <summary>
    /// The only consumer group that handles this record: written on retry-topic records (the group
    /// that failed the message) and on messages replayed from a dead-letter topic. A processor of
    /// any other group finishes such a record without handling it
    /// (<see cref="IProcessorObserver.OnOtherGroupSkipped"/>). Not on dead letters themselves.
    /// </summary>
    public const string TargetGroup = "conveyor.target.group";

    /// <summary>Every header above.</summary>
    internal static readonly HashSet<string> All =
    [
        SourceTopic, SourcePartition, SourceOffset, SourceTimestamp, ConsumerGroup, FailureKind,
        ExceptionType, ExceptionMessage, ExceptionStackTrace, Attempts, FailedAt, TargetGroup,
    ];
}
