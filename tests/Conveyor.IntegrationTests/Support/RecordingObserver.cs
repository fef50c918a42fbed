using System.Collections.Concurrent;
using Confluent.Kafka;
using Conveyor.Processing;

namespace Conveyor.IntegrationTests.Support;

/// <summary>Records what a processor reports, for assertions.</summary>
internal sealed class RecordingObserver : IProcessorObserver
{
    public ConcurrentQueue<TopicPartitionOffset> Committed { get; } = new();

    public ConcurrentQueue<Error> CommitFailures { get; } = new();

    public ConcurrentQueue<(TopicPartitionOffset Message, TopicPartitionOffset DeadLetter)> DeadLettered { get; } = new();

    public ConcurrentQueue<TopicPartitionOffset> Stopped { get; } = new();

    public ConcurrentQueue<bool> BackPressure { get; } = new();

    /// <summary>Each pause or resume with the partitions it covered.</summary>
    public ConcurrentQueue<(IReadOnlyList<TopicPartition> Partitions, bool Paused)> BackPressureEvents { get; } = new();

    public ConcurrentQueue<TopicPartitionOffset> Retries { get; } = new();

    public ConcurrentQueue<TopicPartition> Assigned { get; } = new();

    public ConcurrentQueue<TopicPartition> Lost { get; } = new();

    /// <summary>Partitions reported stalled, with the position and end offset the watchdog saw.</summary>
    public ConcurrentQueue<string> Stalls { get; } = new();

    public ConcurrentQueue<TopicPartition> StallsEnded { get; } = new();

    public void OnPartitionStalled(TopicPartitionOffset position, long endOffset, TimeSpan idle)
    {
        Stalls.Enqueue($"{position.Partition.Value}@{position.Offset.Value} end {endOffset} idle {idle.TotalSeconds:0.0}s");
        Log.Enqueue($"{DateTime.UtcNow:ss.fff} stalled {position.Partition.Value}@{position.Offset.Value} end {endOffset}");
    }

    public void OnPartitionStallEnded(TopicPartition partition)
    {
        StallsEnded.Enqueue(partition);
        Log.Enqueue($"{DateTime.UtcNow:ss.fff} stall ended {partition.Partition.Value}");
    }

    public void OnCommitted(IReadOnlyList<TopicPartitionOffset> offsets)
    {
        foreach (var offset in offsets)
        {
            Committed.Enqueue(offset);
        }

        Log.Enqueue($"{DateTime.UtcNow:ss.fff} commit " + string.Join(" ", offsets.Select(o => $"{o.Partition.Value}:{o.Offset.Value}")));
        CheckCommittedSum();
    }

    /// <summary>Completes once the latest commits of all partitions add up to <paramref name="sum"/> (the end offsets of a topic starting at 0).</summary>
    public Task WaitForCommittedSum(long sum, TimeSpan timeout)
    {
        lock (_waiters)
        {
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((sum, reached));
        }

        CheckCommittedSum();
        return _waiters.Last().Reached.Task.WaitAsync(timeout);
    }

    private readonly List<(long Sum, TaskCompletionSource Reached)> _waiters = [];

    /// <summary>The latest committed offsets of all partitions added up.</summary>
    public long CommittedSum => Committed.GroupBy(c => c.TopicPartition).Sum(g => g.Max(c => c.Offset.Value));

    private void CheckCommittedSum()
    {
        var current = CommittedSum;
        lock (_waiters)
        {
            foreach (var waiter in _waiters.Where(w => current >= w.Sum))
            {
                waiter.Reached.TrySetResult();
            }
        }
    }

    public ConcurrentQueue<string> Log { get; } = new();

    /// <summary>librdkafka's own log lines (debug lines only when the test sets <c>debug</c>), as facility and message.</summary>
    public ConcurrentQueue<(string Facility, string Message)> ClientLog { get; } = new();

    /// <summary>Client errors reported to the processor (transport errors among them).</summary>
    public ConcurrentQueue<Error> Errors { get; } = new();

    public void OnClientLog(LogMessage message) => ClientLog.Enqueue((message.Facility, message.Message));

    public void OnError(Error error) => Errors.Enqueue(error);

    public void OnCommitFailed(IReadOnlyList<TopicPartitionOffset> offsets, Error error)
    {
        CommitFailures.Enqueue(error);
        Log.Enqueue($"{DateTime.UtcNow:ss.fff} FAILED {error.Code} " + string.Join(" ", offsets.Select(o => $"{o.Partition.Value}:{o.Offset.Value}")));
    }

    public void OnPartitionsRevoked(IReadOnlyList<TopicPartition> partitions) => Log.Enqueue($"{DateTime.UtcNow:ss.fff} revoked " + string.Join(" ", partitions.Select(p => p.Partition.Value)));

    public void OnDeadLettered(TopicPartitionOffset message, TopicPartitionOffset deadLetter, Exception exception) =>
        DeadLettered.Enqueue((message, deadLetter));

    public void OnPartitionStopped(TopicPartitionOffset message, Exception exception)
    {
        StopReasons.Enqueue(exception);
        Stopped.Enqueue(message);
    }

    /// <summary>Why each partition stopped, in the order of <see cref="Stopped"/>.</summary>
    public ConcurrentQueue<Exception> StopReasons { get; } = new();

    public void OnBackPressure(IReadOnlyList<TopicPartition> partitions, bool paused)
    {
        BackPressureEvents.Enqueue((partitions, paused));
        BackPressure.Enqueue(paused);
    }

    public void OnRetrying(TopicPartitionOffset message, int failedAttempt, Exception exception, TimeSpan delay) => Retries.Enqueue(message);

    /// <summary>Messages skipped because the commit metadata recorded them as finished.</summary>
    public ConcurrentQueue<TopicPartitionOffset> Skipped { get; } = new();

    /// <summary>Each time a partition's completions stopped (true) or stopped stopping (false) it, with its lowest unfinished offset.</summary>
    public ConcurrentQueue<(TopicPartitionOffset Unfinished, bool Full)> CompletionsFull { get; } = new();

    public ConcurrentQueue<(TopicPartitionOffset Committed, string Problem)> CompletionsUnreadable { get; } = new();

    public void OnFinishedSkipped(IReadOnlyList<TopicPartitionOffset> messages)
    {
        foreach (var message in messages)
        {
            Skipped.Enqueue(message);
        }
    }

    public void OnCompletionsFull(TopicPartitionOffset unfinished, bool full) => CompletionsFull.Enqueue((unfinished, full));

    public void OnCompletionsUnreadable(TopicPartitionOffset committed, string problem) => CompletionsUnreadable.Enqueue((committed, problem));

    public void OnPartitionsLost(IReadOnlyList<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            Lost.Enqueue(partition);
        }

        Log.Enqueue($"{DateTime.UtcNow:ss.fff} lost " + string.Join(" ", partitions.Select(p => p.Partition.Value)));
    }

    public void OnPartitionsAssigned(IReadOnlyList<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            Assigned.Enqueue(partition);
        }

        Log.Enqueue($"{DateTime.UtcNow:ss.fff} assigned " + string.Join(" ", partitions.Select(p => p.Partition.Value)));
    }
}
