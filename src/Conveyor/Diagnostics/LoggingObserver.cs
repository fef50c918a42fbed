using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Concurrency;
using Microsoft.Extensions.Logging;

namespace Conveyor.Diagnostics;

/// <summary>
/// Logs what a processor does, including librdkafka's own log lines and errors, then tells the
/// user's observer: for a hosted processor (Conveyor.Hosting), and for one given
/// <see cref="ProcessorOptions.LoggerFactory"/>. Also logs the start and the end of a run.
/// </summary>
internal sealed class LoggingObserver(ILogger logger, ILogger clientLogger, string processor, IProcessorObserver? next, TimeProvider? time = null) : CompositeObserver(next)
{
    private readonly ClientTrouble _trouble = new(time ?? TimeProvider.System);
    /// <summary>The run starts.</summary>
    public void Starting(ProcessorOptions options) => Log.Starting(logger, processor, options.GroupId, string.Join(", ", options.Topics));

    /// <summary>The concurrency limit changed: by an operator (information) or the adaptive limit (debug: it moves every window).</summary>
    public void ConcurrencyChanged(int limit, string reason)
    {
        if (reason.StartsWith("adaptive", StringComparison.Ordinal))
        {
            Log.ConcurrencyAdapted(logger, processor, limit, reason);
        }
        else
        {
            Log.ConcurrencyChanged(logger, processor, limit, reason);
        }
    }

    /// <summary>The overload back-off started.</summary>
    public void Overloaded(TimeSpan backOff) => Log.Overloaded(logger, processor, OverloadBreaker.TripShare, OverloadBreaker.Attempts, backOff.TotalSeconds);

    /// <summary>The run ended: drained and committed, or failed with <paramref name="failure"/>.</summary>
    public void Stopped(string? failure)
    {
        if (failure is null)
        {
            Log.Stopped(logger, processor);
        }
        else
        {
            Log.RunFailed(logger, processor, failure);
        }
    }

    public override void OnPartitionsAssigned(IReadOnlyList<TopicPartition> partitions)
    {
        Log.Assigned(logger, processor, Describe(partitions));
        Recovered(_trouble.Reached());
        base.OnPartitionsAssigned(partitions);
    }

    public override void OnPartitionsRevoked(IReadOnlyList<TopicPartition> partitions)
    {
        Log.Revoked(logger, processor, Describe(partitions));
        base.OnPartitionsRevoked(partitions);
    }

    public override void OnPartitionsLost(IReadOnlyList<TopicPartition> partitions)
    {
        Log.Lost(logger, processor, Describe(partitions));
        base.OnPartitionsLost(partitions);
    }

    public override void OnCommitted(IReadOnlyList<TopicPartitionOffset> offsets)
    {
        Recovered(_trouble.Works());
        if (logger.IsEnabled(LogLevel.Debug))
        {
            Log.Committed(logger, processor, Describe(offsets));
        }

        base.OnCommitted(offsets);
    }

    public override void OnCommitFailed(IReadOnlyList<TopicPartitionOffset> offsets, Error error)
    {
        Log.CommitFailed(logger, processor, Describe(offsets), error.Reason);
        base.OnCommitFailed(offsets, error);
    }

    public override void OnRetrying(TopicPartitionOffset message, int failedAttempt, Exception exception, TimeSpan delay)
    {
        Log.Retrying(logger, processor, Describe(message), failedAttempt, $"{exception.GetType().Name}: {exception.Message}", delay);
        base.OnRetrying(message, failedAttempt, exception, delay);
    }

    public override void OnDeadLettered(TopicPartitionOffset message, TopicPartitionOffset deadLetter, Exception exception)
    {
        var error = $"{exception.GetType().Name}: {exception.Message.ReplaceLineEndings(" ")}";
        Log.DeadLettered(logger, processor, Describe(message), Describe(deadLetter), error);
        base.OnDeadLettered(message, deadLetter, exception);
    }

    public override void OnPartitionStopped(TopicPartitionOffset message, Exception exception)
    {
        Log.PartitionStopped(logger, processor, Describe(message), exception);
        base.OnPartitionStopped(message, exception);
    }

    public override void OnBackPressure(IReadOnlyList<TopicPartition> partitions, bool paused)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            Log.BackPressure(logger, processor, paused ? "paused" : "resumed", Describe(partitions));
        }

        base.OnBackPressure(partitions, paused);
    }

    public override void OnPartitionStalled(TopicPartitionOffset position, long endOffset, TimeSpan idle)
    {
        Log.Stalled(logger, processor, Describe(position), endOffset, idle);
        base.OnPartitionStalled(position, endOffset, idle);
    }

    public override void OnPartitionStallEnded(TopicPartition partition)
    {
        Log.StallEnded(logger, processor, $"{partition.Topic}[{partition.Partition.Value}]");
        base.OnPartitionStallEnded(partition);
    }

    public override void OnFinishedSkipped(IReadOnlyList<TopicPartitionOffset> messages)
    {
        Log.FinishedSkipped(logger, processor, messages.Count, Describe(messages.Select(m => m.TopicPartition).Distinct()));
        base.OnFinishedSkipped(messages);
    }

    public override void OnFailureTopicsMissing(IReadOnlyList<string> topics)
    {
        var names = string.Join(", ", topics.Select(t => $"'{t}'"));
        Log.FailureTopicsMissing(logger, processor, topics.Count == 1 ? $"the topic for failed messages {names} is" : $"the topics for failed messages {names} are");
        base.OnFailureTopicsMissing(topics);
    }

    public override void OnOtherGroupSkipped(IReadOnlyList<TopicPartitionOffset> messages)
    {
        Log.OtherGroupSkipped(logger, processor, messages.Count, Describe(messages.Select(m => m.TopicPartition).Distinct()));
        base.OnOtherGroupSkipped(messages);
    }

    public override void OnCompletionsFull(TopicPartitionOffset unfinished, bool full)
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

        base.OnCompletionsFull(unfinished, full);
    }

    public override void OnCompletionsUnreadable(TopicPartitionOffset committed, string problem)
    {
        Log.CompletionsUnreadable(logger, processor, Describe(committed), problem);
        base.OnCompletionsUnreadable(committed, problem);
    }

    public override void OnUnavailable(string problem)
    {
        Log.Unavailable(logger, processor, problem);
        base.OnUnavailable(problem);
    }

    public override void OnError(Error error)
    {
        if (error.IsFatal)
        {
            Log.FatalClientError(logger, processor, error.Code, error.Reason);
        }
        else
        {
            // Before the first assignment this is "cannot start", which the availability watch says.
            if (_trouble.LostNow(error))
            {
                Log.ClusterLost(logger, processor, error.Reason);
            }

            // Repeats are counted, not each logged: a broker gone makes librdkafka say so many times a second.
            if (_trouble.Note(error.Reason) is { } line)
            {
                Log.ClientError(logger, processor, error.Code, line);
            }
        }

        base.OnError(error);
    }

    public override void OnClientLog(LogMessage message)
    {
        // librdkafka's warnings and errors repeat its client errors (the same words): one rule for both.
        var text = message.Level <= SyslogLevel.Warning ? _trouble.Note(message.Message) : message.Message;
        if (text is not null)
        {
            Log.ClientLog(clientLogger, Level(message.Level), message.Name, message.Facility, text);
        }

        base.OnClientLog(message);
    }

    /// <summary>Partitions assigned or offsets committed: the client works; one line if it had been failing.</summary>
    private void Recovered(string? summary)
    {
        if (summary is not null)
        {
            Log.ClientRecovered(logger, processor, summary);
        }
    }

    internal static LogLevel Level(SyslogLevel level) => level switch
    {
        SyslogLevel.Emergency or SyslogLevel.Alert or SyslogLevel.Critical => LogLevel.Critical,
        SyslogLevel.Error => LogLevel.Error,
        SyslogLevel.Warning => LogLevel.Warning,
        SyslogLevel.Notice or SyslogLevel.Info => LogLevel.Information,
        _ => LogLevel.Debug,
    };

    private static string Describe(IEnumerable<TopicPartition> partitions) => string.Join(", ", partitions.Select(p => $"{p.Topic}[{p.Partition.Value}]"));

    private static string Describe(IEnumerable<TopicPartitionOffset> offsets) => Positions.Of(offsets);

    private static string Describe(TopicPartitionOffset at) => Positions.Of(at);
}
