using System.Collections.Concurrent;
using Confluent.Kafka;
using Conveyor.Processing;

namespace Conveyor.Cli.Tutorial;

/// <summary>
/// Prints what the engine does in the tutorial's words (rebalances, commits) plus its own
/// (retries, dead letters, stops), and keeps the counts for the summary.
/// </summary>
internal sealed class ConsoleObserver : IProcessorObserver
{
    private readonly TextWriter _output;
    private readonly TextWriter _errors;
    private readonly ConcurrentDictionary<TopicPartition, long> _committed = new();
    private readonly ConcurrentDictionary<TopicPartition, long> _stoppedAt = new();
    private readonly ConcurrentDictionary<TopicPartition, bool> _stoppedInRun = new();
    private readonly HashSet<TopicPartition> _assigned = [];
    private readonly TaskCompletionSource _firstAssignment = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Conveyor.Diagnostics.ClientTrouble _trouble = new(TimeProvider.System);
    private int _retries;
    private int _deadLettered;
    private int _stopped;

    private readonly bool _showClientLogs;

    /// <param name="output">Hears the tutorial's lines.</param>
    /// <param name="errors">Hears errors, stalls and (with <paramref name="showClientLogs"/>) librdkafka's log lines.</param>
    /// <param name="showClientLogs">Whether the user asked for librdkafka's lines (<c>-X debug=...</c>).</param>
    public ConsoleObserver(TextWriter output, TextWriter errors, bool showClientLogs = false)
    {
        _output = output;
        _errors = errors;
        _showClientLogs = showClientLogs;
    }

    /// <summary>Called after every commit, with the committed offsets so far.</summary>
    public event Action<IReadOnlyDictionary<TopicPartition, long>>? Committed;

    /// <summary>Called after every dead letter or stopped partition: the message is done with, one way or another.</summary>
    public event Action? MessageSettled;

    /// <summary>Partitions assigned now and stopped at a message that failed for good (<c>--on-failure StopPartition</c>), with that message's offset.</summary>
    public IReadOnlyDictionary<TopicPartition, long> StoppedAt => _stoppedAt;

    /// <summary>Partitions stopped at any time in this run, revoked since or not: a run that stopped one failed, however it ended.</summary>
    public int PartitionsStoppedInRun => _stoppedInRun.Count;

    /// <summary>Completes when partitions are first assigned.</summary>
    public Task FirstAssignment => _firstAssignment.Task;

    public int Retries => Volatile.Read(ref _retries);

    public int DeadLetters => Volatile.Read(ref _deadLettered);

    public int StoppedPartitions => Volatile.Read(ref _stopped);

    public IReadOnlyDictionary<TopicPartition, long> CommittedOffsets => _committed;

    /// <summary>Whether every broker went down after the start and has not answered since.</summary>
    public bool ClusterLost => _trouble.ClusterLost;

    public void OnPartitionsAssigned(IReadOnlyList<TopicPartition> partitions)
    {
        _output.WriteLine(TutorialLines.PostRebalance);
        foreach (var partition in partitions)
        {
            _output.WriteLine(TutorialLines.Rebalanced(partition.Partition));
        }

        lock (_assigned)
        {
            _assigned.UnionWith(partitions);
            _output.WriteLine(TutorialLines.Assigned(_assigned));
        }

        if (partitions.Count > 0)
        {
            Recovered(_trouble.Reached());
            _firstAssignment.TrySetResult();
        }
    }

    public void OnPartitionsRevoked(IReadOnlyList<TopicPartition> partitions)
    {
        Unstop(partitions);
        lock (_assigned)
        {
            _assigned.ExceptWith(partitions);
            _output.WriteLine(_assigned.Count == 0 ? TutorialLines.AllRevoked : TutorialLines.Revoked(partitions));
        }
    }

    public void OnPartitionsLost(IReadOnlyList<TopicPartition> partitions)
    {
        Unstop(partitions);
        lock (_assigned)
        {
            _assigned.ExceptWith(partitions);
        }

        _output.WriteLine(TutorialLines.Lost(partitions));
    }

    /// <summary>A stop belongs to an assignment: once the partition is gone its next owner (or this member again) starts afresh from the commit.</summary>
    private void Unstop(IReadOnlyList<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            _stoppedAt.TryRemove(partition, out _);
        }
    }

    public void OnCommitted(IReadOnlyList<TopicPartitionOffset> offsets)
    {
        foreach (var offset in offsets)
        {
            _committed.AddOrUpdate(offset.TopicPartition, offset.Offset.Value, (_, old) => Math.Max(old, offset.Offset.Value));
            _output.WriteLine(TutorialLines.Committed(offset));
        }

        Recovered(_trouble.Works());
        Committed?.Invoke(_committed);
    }

    public void OnCommitFailed(IReadOnlyList<TopicPartitionOffset> offsets, Error error) =>
        _output.WriteLine(TutorialLines.CommitFailed(error));

    public void OnRetrying(TopicPartitionOffset message, int failedAttempt, Exception exception, TimeSpan delay)
    {
        Interlocked.Increment(ref _retries);
        _output.WriteLine(EngineLines.Retrying(message, failedAttempt, delay));
    }

    public void OnDeadLettered(TopicPartitionOffset message, TopicPartitionOffset deadLetter, Exception exception)
    {
        Interlocked.Increment(ref _deadLettered);
        _output.WriteLine(EngineLines.DeadLettered(message, deadLetter, exception));
        MessageSettled?.Invoke();
    }

    public void OnPartitionStopped(TopicPartitionOffset message, Exception exception)
    {
        Interlocked.Increment(ref _stopped);
        _stoppedAt[message.TopicPartition] = message.Offset.Value;
        _stoppedInRun[message.TopicPartition] = true;
        _output.WriteLine(EngineLines.PartitionStopped(message, exception));
        MessageSettled?.Invoke();
    }

    public void OnBackPressure(IReadOnlyList<TopicPartition> partitions, bool paused) =>
        _output.WriteLine(EngineLines.BackPressure(partitions, paused));

    public void OnPartitionStalled(TopicPartitionOffset position, long endOffset, TimeSpan idle) =>
        _errors.WriteLine(EngineLines.Stalled(position, endOffset, idle));

    public void OnPartitionStallEnded(TopicPartition partition) => _output.WriteLine(EngineLines.StallEnded(partition));

    public void OnError(Error error)
    {
        if (error.IsFatal)
        {
            _errors.WriteLine(TutorialLines.ClientError(error));
            return;
        }

        if (_trouble.LostNow(error))
        {
            _errors.WriteLine(EngineLines.ClusterLost);
        }

        // A broker gone makes librdkafka say so many times a second: the first time, then a count.
        if (_trouble.Note(TutorialLines.ClientError(error)) is { } line)
        {
            _errors.WriteLine(line);
        }
    }

    private void Recovered(string? summary)
    {
        if (summary is not null)
        {
            _errors.WriteLine(summary);
        }
    }

    public void OnClientLog(LogMessage message)
    {
        if (_showClientLogs)
        {
            _errors.WriteLine(Kafka.ClientSettings.LogLine(message));
        }
    }
}
