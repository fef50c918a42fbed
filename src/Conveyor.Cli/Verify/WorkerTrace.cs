using System.Collections.Concurrent;
using Confluent.Kafka;
using Conveyor.Processing.Transactions;

namespace Conveyor.Cli.Verify;

/// <summary>
/// A worker's engine events on standard error, which the verifier prints prefixed with the worker's
/// process id: assignments, revokes, losses, commits, back-pressure and stalls, each with a time.
/// On when <see cref="Variable"/> is set to 1; for tracing a loss or a stall to the member that caused it.
/// Exactly-once workers also print each transaction: committed with its input offsets, or aborted with its reason.
/// </summary>
internal sealed class WorkerTrace(TextWriter errors) : ITransactionObserver
{
    public const string Variable = "CONVEYOR_VERIFY_TRACE";

    // Partitions that had a message handled since they were last assigned.
    private readonly ConcurrentDictionary<int, byte> _handledSinceAssigned = new();

    public static bool Enabled => Environment.GetEnvironmentVariable(Variable) == "1";

    /// <summary>librdkafka's <c>debug</c> contexts for the workers' clients, from <see cref="DebugVariable"/> (traced runs only), whose lines the trace prints.</summary>
    public const string DebugVariable = "CONVEYOR_VERIFY_DEBUG";

    public static IEnumerable<Conveyor.Configuration.KafkaProperty> Debug =>
        Enabled && Environment.GetEnvironmentVariable(DebugVariable) is { Length: > 0 } contexts ? [new("debug", contexts)] : [];

    public void OnClientLog(LogMessage message) => Line("client", $"{message.Facility} {message.Message}");

    public void OnPartitionsAssigned(IReadOnlyList<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            _handledSinceAssigned.TryRemove(partition.Partition.Value, out _);
        }

        Line("assigned", Describe(partitions));
    }

    public void OnPartitionsRevoked(IReadOnlyList<TopicPartition> partitions) => Line("revoked", Describe(partitions));

    public void OnPartitionsLost(IReadOnlyList<TopicPartition> partitions) => Line("lost", Describe(partitions));

    public void OnCommitted(IReadOnlyList<TopicPartitionOffset> offsets) => Line("committed", Describe(offsets));

    public void OnCommitFailed(IReadOnlyList<TopicPartitionOffset> offsets, Error error) => Line($"commit failed ({error.Code})", Describe(offsets));

    public void OnBackPressure(IReadOnlyList<TopicPartition> partitions, bool paused) => Line(paused ? "paused" : "resumed", Describe(partitions));

    public void OnPartitionStalled(TopicPartitionOffset position, long endOffset, TimeSpan idle) => Line("STALLED", $"{position.Partition.Value}@{position.Offset.Value} end {endOffset}");

    public void OnPartitionStallEnded(TopicPartition partition) => Line("stall ended", $"{partition.Partition.Value}");

    public void OnFinishedSkipped(IReadOnlyList<TopicPartitionOffset> messages) =>
        Line("skipped finished", string.Join(" ", messages.GroupBy(m => m.Partition.Value).Select(p => $"{p.Key}:{p.Count()}x{p.Min(m => m.Offset.Value)}-{p.Max(m => m.Offset.Value)}")));

    public void OnCompletionsFull(TopicPartitionOffset unfinished, bool full) => Line(full ? "COMPLETIONS FULL" : "completions fit", $"{unfinished.Partition.Value}@{unfinished.Offset.Value}");

    public void OnCompletionsUnreadable(TopicPartitionOffset committed, string problem) => Line("completions unreadable", $"{committed.Partition.Value}@{committed.Offset.Value}: {problem}");

    public void OnError(Error error) => Line(error.IsFatal ? "FATAL error" : "error", $"{error.Code} {error.Reason}");

    public void OnTransactionCommitted(IReadOnlyList<TopicPartitionOffset> offsets) => Line("transaction committed", Describe(offsets));

    public void OnTransactionAborted(Error error, IReadOnlyList<TopicPartitionOffset> rewoundTo) =>
        Line("transaction ABORTED", $"({error.Code} {error.Reason}) rewound to {Describe(rewoundTo)}");

    /// <summary>The worker's handler starts on <paramref name="message"/>: printed when it is the first of its partition since the partition was assigned.</summary>
    public void Handling(TopicPartitionOffset message)
    {
        if (_handledSinceAssigned.TryAdd(message.Partition.Value, 0))
        {
            Line("first handled", $"{message.Partition.Value}@{message.Offset.Value}");
        }
    }

    /// <summary>A handled message's output as the producer reported it acknowledged.</summary>
    public void Written(TopicPartitionOffset message, long id, TopicPartitionOffset output, PersistenceStatus status) =>
        Line("written", $"{message.Partition.Value}@{message.Offset.Value} id {id} to {output.Partition.Value}@{output.Offset.Value} ({status})");

    private void Line(string what, string detail) => errors.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {what} {detail}");

    private static string Describe(IEnumerable<TopicPartition> partitions) => string.Join(" ", partitions.Select(p => p.Partition.Value));

    private static string Describe(IEnumerable<TopicPartitionOffset> offsets) => string.Join(" ", offsets.Select(o => $"{o.Partition.Value}:{o.Offset.Value}"));
}
