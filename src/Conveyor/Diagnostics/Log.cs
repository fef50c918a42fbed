using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Conveyor.Diagnostics;

/// <summary>
/// Every log line Conveyor writes, with stable event ids (1000-1099): through the host's logger
/// factory (Conveyor.Hosting), or <see cref="Processing.ProcessorOptions.LoggerFactory"/> without hosting.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1000, LogLevel.Information, "Processor {Processor} starting: group {Group}, topics {Topics}")]
    public static partial void Starting(ILogger logger, string processor, string group, string topics);

    [LoggerMessage(1001, LogLevel.Information, "Processor {Processor} stopped: in-flight messages drained, finished offsets committed")]
    public static partial void Stopped(ILogger logger, string processor);

    [LoggerMessage(1002, LogLevel.Critical, "Processor {Processor} failed and stops the application: {Reason}")]
    public static partial void Failed(ILogger logger, string processor, string reason, Exception exception);

    [LoggerMessage(1003, LogLevel.Error, "Processor {Processor} failed: {Reason}")]
    public static partial void RunFailed(ILogger logger, string processor, string reason);

    [LoggerMessage(1010, LogLevel.Information, "Processor {Processor}: partitions assigned: {Partitions}")]
    public static partial void Assigned(ILogger logger, string processor, string partitions);

    [LoggerMessage(1011, LogLevel.Information, "Processor {Processor}: partitions revoked (drained and committed): {Partitions}")]
    public static partial void Revoked(ILogger logger, string processor, string partitions);

    [LoggerMessage(1012, LogLevel.Warning, "Processor {Processor}: partitions lost (not committed; their messages will be handled again): {Partitions}")]
    public static partial void Lost(ILogger logger, string processor, string partitions);

    [LoggerMessage(1020, LogLevel.Debug, "Processor {Processor}: committed {Offsets}")]
    public static partial void Committed(ILogger logger, string processor, string offsets);

    [LoggerMessage(1021, LogLevel.Warning, "Processor {Processor}: commit of {Offsets} failed ({Error}); it is retried")]
    public static partial void CommitFailed(ILogger logger, string processor, string offsets, string error);

    [LoggerMessage(1030, LogLevel.Information, "Processor {Processor}: {Message} failed (attempt {Attempt}: {Error}); retrying in {Delay}")]
    public static partial void Retrying(ILogger logger, string processor, string message, int attempt, string error, TimeSpan delay);

    // One line: the stack trace is in the dead letter itself (conveyor.exception.stacktrace), and a
    // burst of bad messages would otherwise flood the log with one trace each.
    [LoggerMessage(1031, LogLevel.Warning, "Processor {Processor}: {Message} failed for good and was dead-lettered to {DeadLetter}: {Error} (its stack trace is in the dead letter)")]
    public static partial void DeadLettered(ILogger logger, string processor, string message, string deadLetter, string error);

    [LoggerMessage(1032, LogLevel.Error, "Processor {Processor}: partition stopped at {Message}, which failed for good; it resumes only after a restart")]
    public static partial void PartitionStopped(ILogger logger, string processor, string message, Exception exception);

    [LoggerMessage(1040, LogLevel.Debug, "Processor {Processor}: back-pressure {Action} {Partitions}")]
    public static partial void BackPressure(ILogger logger, string processor, string action, string partitions);

    [LoggerMessage(1041, LogLevel.Warning, "Processor {Processor}: partition {Partition} is STALLED: messages up to offset {End} wait to be read, but none was delivered for {Idle} although the partition is not paused or stopped by the engine")]
    public static partial void Stalled(ILogger logger, string processor, string partition, long end, TimeSpan idle);

    [LoggerMessage(1042, LogLevel.Information, "Processor {Processor}: partition {Partition} is no longer stalled")]
    public static partial void StallEnded(ILogger logger, string processor, string partition);

    [LoggerMessage(1044, LogLevel.Information, "Processor {Processor}: skipped {Count} message(s) already finished before this assignment ({Partitions})")]
    public static partial void FinishedSkipped(ILogger logger, string processor, int count, string partitions);

    [LoggerMessage(1081, LogLevel.Warning, "Processor {Processor}: {Topics} missing on the cluster: a message that fails for good is written there, which creates the topic with the broker's defaults if it creates topics on use, or else fails and stops the message's partition. Create it before the first failure")]
    public static partial void FailureTopicsMissing(ILogger logger, string processor, string topics);

    [LoggerMessage(1080, LogLevel.Debug, "Processor {Processor}: skipped {Count} message(s) that belong to another consumer group, a retry or replay of theirs ({Partitions})")]
    public static partial void OtherGroupSkipped(ILogger logger, string processor, int count, string partitions);

    [LoggerMessage(1045, LogLevel.Warning, "Processor {Processor}: partition {Partition} takes no new messages until offset {Offset} finishes: the offsets finished above it would not fit the commit metadata (CommitMetadataMaxBytes)")]
    public static partial void CompletionsFull(ILogger logger, string processor, string partition, long offset);

    [LoggerMessage(1046, LogLevel.Information, "Processor {Processor}: partition {Partition} takes new messages again: the finished offsets fit the commit metadata")]
    public static partial void CompletionsFit(ILogger logger, string processor, string partition);

    [LoggerMessage(1047, LogLevel.Warning, "Processor {Processor}: ignoring the metadata committed with {Committed}: {Problem}; messages from the committed offset on are handled again")]
    public static partial void CompletionsUnreadable(ILogger logger, string processor, string committed, string problem);

    [LoggerMessage(1043, LogLevel.Warning, "Processor {Processor} cannot start: {Problem}")]
    public static partial void Unavailable(ILogger logger, string processor, string problem);

    [LoggerMessage(1050, LogLevel.Warning, "Processor {Processor}: Kafka client error {Code}: {Reason}")]
    public static partial void ClientError(ILogger logger, string processor, ErrorCode code, string reason);

    [LoggerMessage(1051, LogLevel.Critical, "Processor {Processor}: fatal Kafka client error {Code}: {Reason}")]
    public static partial void FatalClientError(ILogger logger, string processor, ErrorCode code, string reason);

    [LoggerMessage(1060, LogLevel.Warning, "Processor {Processor} lost the cluster: every broker is down ({Reason}); it keeps trying and says so when the cluster answers")]
    public static partial void ClusterLost(ILogger logger, string processor, string reason);

    [LoggerMessage(1061, LogLevel.Information, "Processor {Processor}: {Summary}")]
    public static partial void ClientRecovered(ILogger logger, string processor, string summary);

    [LoggerMessage(1090, LogLevel.Information, "Processor {Processor}: concurrency limit {Limit} ({Reason})")]
    public static partial void ConcurrencyChanged(ILogger logger, string processor, int limit, string reason);

    [LoggerMessage(1091, LogLevel.Debug, "Processor {Processor}: concurrency limit {Limit} ({Reason})")]
    public static partial void ConcurrencyAdapted(ILogger logger, string processor, int limit, string reason);

    [LoggerMessage(1092, LogLevel.Warning, "Processor {Processor}: at least {Share:P0} of the last {Attempts} handler attempts failed with errors that are retried; no handler starts for {Seconds} s (overload back-off)")]
    public static partial void Overloaded(ILogger logger, string processor, double share, int attempts, double seconds);

    [LoggerMessage(EventId = 1052, Message = "librdkafka {Client} {Facility}: {Message}")]
    public static partial void ClientLog(ILogger logger, LogLevel level, string client, string facility, string message);
}
