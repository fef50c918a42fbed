using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Batching;
using Conveyor.Processing.Engine;

namespace Conveyor.Simulation;

/// <summary>
/// The engine's events in a simulation: each poll loop turn costs a little simulated time and
/// checks the per-turn invariants; the rest goes to the trace (when kept) and is otherwise ignored.
/// </summary>
internal sealed class SimEvents(SimWorld world, Func<Dispatcher> dispatcher, ProcessorOptions options) : IEngineEvents
{
    /// <summary>What one turn of the poll loop costs in simulated time (no turn is free, so the loop cannot spin in no time).</summary>
    private static readonly TimeSpan TurnCost = TimeSpan.FromTicks(200);

    public ProcessorStatus Status => throw new NotSupportedException("A simulation keeps no status.");

    public void Polled()
    {
        world.Scheduler.Spend(TurnCost);
        var d = dispatcher();
        world.Checker.Turn(d.Buffered, d.BufferedBytes, options.MaxBufferedMessages, options.MaxBufferedBytes);
    }

    public void RunStarted()
    {
    }

    public void RunEnded(string? failure)
    {
    }

    public void CommitTimed(TimeSpan elapsed, bool succeeded)
    {
    }

    public void Statistics(string json)
    {
    }

    public void Buffered(IReadOnlyDictionary<TopicPartition, int> buffered, IReadOnlyDictionary<TopicPartition, long> committable)
    {
    }

    public void ClientLog(LogMessage message)
    {
    }

    public MessageTrace MessageStarted(WorkItem item) => default;

    public void MessageEnded(WorkItem item, in MessageTrace trace, in Execution execution)
    {
    }

    public void ConcurrencyChanged(int limit, string reason) => world.Trace.Add($"concurrency limit {limit} ({reason})");

    public void Overloaded(TimeSpan backOff) => world.Trace.Add($"overload back-off {backOff.TotalMilliseconds} ms");

    public void MessageDropped(WorkItem item) => world.Trace.Add($"retry of p{item.Result.Partition.Value}@{item.Result.Offset.Value} dropped");

    public StagedHandler<TKey, TValue> Timed<TKey, TValue>(StagedHandler<TKey, TValue> handler) => handler;

    public BatchHandler<TKey, TValue> TimedBatches<TKey, TValue>(BatchHandler<TKey, TValue> handler) => handler;

    public void OnBackPressure(IReadOnlyList<TopicPartition> partitions, bool paused) =>
        world.Trace.Add($"back-pressure {(paused ? "pauses" : "resumes")} {string.Join(",", partitions.Select(p => "p" + p.Partition.Value))}");

    public void OnCommitFailed(IReadOnlyList<TopicPartitionOffset> offsets, Error error) => world.Trace.Add($"engine: commit failed ({error.Code})");

    public void OnError(Error error) => world.Trace.Add($"engine error: {error.Reason}");

    public void OnPartitionStalled(TopicPartitionOffset position, long endOffset, TimeSpan idle)
    {
        world.Trace.Add($"watchdog: p{position.Partition.Value} stalled at {position.Offset.Value} of {endOffset} for {idle.TotalSeconds:F0} s");
        world.Checker.WatchdogFound(position.Partition.Value, idle);
    }

    public void OnPartitionStopped(TopicPartitionOffset message, Exception exception)
    {
        world.Trace.Add($"p{message.Partition.Value} stopped at {message.Offset.Value}");
        world.Checker.PartitionStopped(message.Partition.Value);
    }

    public void OnFinishedSkipped(IReadOnlyList<TopicPartitionOffset> messages) =>
        world.Trace.Add($"skipped as finished before: {string.Join(" ", messages.Select(m => $"p{m.Partition.Value}@{m.Offset.Value}"))}");

    public void OnRetrying(TopicPartitionOffset message, int failedAttempt, Exception exception, TimeSpan delay) =>
        world.Trace.Add($"p{message.Partition.Value}@{message.Offset.Value} retries after attempt {failedAttempt} in {delay.TotalMilliseconds:F0} ms");
}
