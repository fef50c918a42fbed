using Confluent.Kafka;
using Conveyor.Processing;
using Microsoft.Extensions.Logging;

namespace Conveyor.Hosting;

/// <summary>Logs what a hosted processor does, including librdkafka's own log lines and errors, then tells the user's observer.</summary>
internal sealed class LoggingObserver(ILogger logger, ILogger clientLogger, string processor, IProcessorObserver? next, TimeProvider? time = null) : IProcessorObserver
{
    private LastError? _lastError;

    /// <summary>The last failure it heard of: a client error, a failed commit, a message dead-lettered or stopping its partition.</summary>
    public LastError? LastError => Volatile.Read(ref _lastError);

    public void OnPartitionsAssigned(IReadOnlyList<TopicPartition> partitions)
    {
        Log.Assigned(logger, processor, Describe(partitions));
        next?.OnPartitionsAssigned(partitions);
    }

    public void OnPartitionsRevoked(IReadOnlyList<TopicPartition> partitions)
    {
        Log.Revoked(logger, processor, Describe(partitions));
        next?.OnPartitionsRevoked(partitions);
    }

    public void OnPartitionsLost(IReadOnlyList<TopicPartition> partitions)
    {
        Log.Lost(logger, processor, Describe(partitions));
        next?.OnPartitionsLost(partitions);
    }

    public void OnCommitted(IReadOnlyList<TopicPartitionOffset> offsets)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            Log.Committed(logger, processor, Describe(offsets));
        }

        next?.OnCommitted(offsets);
    }

    public void OnCommitFailed(IReadOnlyList<TopicPartitionOffset> offsets, Error error)
    {
        Log.CommitFailed(logger, processor, Describe(offsets), error.Reason);
        Remember($"commit of {Describe(offsets)} failed: {error.Reason}");
        next?.OnCommitFailed(offsets, error);
    }

    public void OnRetrying(TopicPartitionOffset message, int failedAttempt, Exception exception, TimeSpan delay)
    {
        Log.Retrying(logger, processor, Describe(message), failedAttempt, $"{exception.GetType().Name}: {exception.Message}", delay);
        next?.OnRetrying(message, failedAttempt, exception, delay);
    }

    public void OnDeadLettered(TopicPartitionOffset message, TopicPartitionOffset deadLetter, Exception exception)
    {
        Log.DeadLettered(logger, processor, Describe(message), Describe(deadLetter), exception);
        Remember($"{Describe(message)} failed for good and was dead-lettered to {Describe(deadLetter)}: {exception.GetType().Name}: {exception.Message}");
        next?.OnDeadLettered(message, deadLetter, exception);
    }

    public void OnPartitionStopped(TopicPartitionOffset message, Exception exception)
    {
        Log.PartitionStopped(logger, processor, Describe(message), exception);
        Remember($"{Describe(message)} failed for good and stopped its partition: {exception.GetType().Name}: {exception.Message}");
        next?.OnPartitionStopped(message, exception);
    }

    public void OnBackPressure(IReadOnlyList<TopicPartition> partitions, bool paused)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            Log.BackPressure(logger, processor, paused ? "paused" : "resumed", Describe(partitions));
        }

        next?.OnBackPressure(partitions, paused);
    }

    public void OnPartitionStalled(TopicPartitionOffset position, long endOffset, TimeSpan idle)
    {
        Log.Stalled(logger, processor, Describe(position), endOffset, idle);
        next?.OnPartitionStalled(position, endOffset, idle);
    }

    public void OnPartitionStallEnded(TopicPartition partition)
    {
        Log.StallEnded(logger, processor, $"{partition.Topic}[{partition.Partition.Value}]");
        next?.OnPartitionStallEnded(partition);
    }

    public void OnFinishedSkipped(IReadOnlyList<TopicPartitionOffset> messages)
    {
        Log.FinishedSkipped(logger, processor, messages.Count, Describe(messages.Select(m => m.TopicPartition).Distinct()));
        next?.OnFinishedSkipped(messages);
    }

    public void OnCompletionsFull(TopicPartitionOffset unfinished, bool full)
    {
        var partition = Describe([unfinished.TopicPartition]);
        if (full)
        {
            Log.CompletionsFull(logger, processor, partition, unfinished.Offset.Value);
        }
        else
        {
            Log.CompletionsFit(logger, processor, partition);
        }

        next?.OnCompletionsFull(unfinished, full);
    }

    public void OnCompletionsUnreadable(TopicPartitionOffset committed, string problem)
    {
        Log.CompletionsUnreadable(logger, processor, Describe(committed), problem);
        next?.OnCompletionsUnreadable(committed, problem);
    }

    public void OnUnavailable(string problem)
    {
        Log.Unavailable(logger, processor, problem);
        next?.OnUnavailable(problem);
    }

    public void OnError(Error error)
    {
        if (error.IsFatal)
        {
            Log.FatalClientError(logger, processor, error.Code, error.Reason);
        }
        else
        {
            Log.ClientError(logger, processor, error.Code, error.Reason);
        }

        Remember($"client error {error.Code}: {error.Reason}");

        next?.OnError(error);
    }

    public void OnClientLog(LogMessage message)
    {
        Log.ClientLog(clientLogger, Level(message.Level), message.Name, message.Facility, message.Message);
        next?.OnClientLog(message);
    }

    private void Remember(string message) => Volatile.Write(ref _lastError, new LastError((time ?? TimeProvider.System).GetUtcNow(), message));

    internal static LogLevel Level(SyslogLevel level) => level switch
    {
        SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
        SyslogLevel.Error => LogLevel.Error,
        SyslogLevel.Warning => LogLevel.Warning,
        SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
        _ => LogLevel.Debug,
    };

    private static string Describe(IEnumerable<TopicPartition> partitions) => string.Join(", ", partitions.Select(p => $"{p.Topic}[{p.Partition.Value}]"));

    private static string Describe(IEnumerable<TopicPartitionOffset> offsets) => string.Join(", ", offsets.Select(Describe));

    private static string Describe(TopicPartitionOffset at) => $"{at.Topic}[{at.Partition.Value}]@{at.Offset.Value}";
}

/// <summary>A processor's last failure, for its health check.</summary>
/// <param name="At">When it happened.</param>
/// <param name="Message">What happened.</param>
internal sealed record LastError(DateTimeOffset At, string Message);
