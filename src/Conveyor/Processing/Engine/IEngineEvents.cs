using Confluent.Kafka;
using Conveyor.Processing.Forwarding;
using Conveyor.Processing.Transactions;

namespace Conveyor.Processing.Engine;

/// <summary>
/// Everything the engine reports, in one place: the observer events the user hears too, and what
/// only the status store, the metrics and the traces need (liveness, commit timing, client
/// statistics, buffer figures, each message's run). The engine knows this interface, not who
/// listens; <see cref="Diagnostics.ProcessorEvents"/> routes it to the status store, the metrics
/// and traces, and (secrets masked) the logs and the user's observer.
/// </summary>
internal interface IEngineEvents : IForwardingObserver, ITransactionObserver
{
    /// <summary>The processor's state now, as an immutable snapshot.</summary>
    ProcessorStatus Status { get; }

    /// <summary>A run starts.</summary>
    void RunStarted();

    /// <summary>The run ended: drained and committed, or failed with <paramref name="failure"/>.</summary>
    void RunEnded(string? failure);

    /// <summary>The poll loop went round once (it polls at least every 50 ms while healthy).</summary>
    void Polled();

    /// <summary>A synchronous commit took <paramref name="elapsed"/>; <paramref name="succeeded"/> false if any offset was refused.</summary>
    void CommitTimed(TimeSpan elapsed, bool succeeded);

    /// <summary>librdkafka's statistics JSON (every <c>statistics.interval.ms</c>).</summary>
    void Statistics(string json);

    /// <summary>
    /// Fetched, unfinished messages per assigned partition now, and the offset each would be
    /// committed at (everything below it finished), reported about twice a second.
    /// </summary>
    void Buffered(IReadOnlyDictionary<TopicPartition, int> buffered, IReadOnlyDictionary<TopicPartition, long> committable);

    /// <summary>The concurrency limit is <paramref name="limit"/> now (at the start of a run too), set for <paramref name="reason"/>.</summary>
    void ConcurrencyChanged(int limit, string reason);

    /// <summary>Most recent handler attempts failed with retried errors: no handler starts for <paramref name="backOff"/> (the overload back-off).</summary>
    void Overloaded(TimeSpan backOff);

    /// <summary>One of librdkafka's own log lines (the consumer's or a producer's).</summary>
    void ClientLog(LogMessage message);

    /// <summary>
    /// A worker took a message, for its first attempt or a retry after a back-off. What the returned
    /// trace holds stays with the worker until <see cref="MessageEnded"/>: the message itself carries nothing.
    /// </summary>
    MessageTrace MessageStarted(WorkItem item);

    /// <summary>The worker is done with the message's attempt; the message is done too unless it waits for a retry.</summary>
    void MessageEnded(WorkItem item, in MessageTrace trace, in Execution execution);

    /// <summary>A message waiting for its retry was dropped (its partition revoked or stopped, or the processor stopping).</summary>
    void MessageDropped(WorkItem item);

    /// <summary>The handler, timed and counted per call.</summary>
    StagedHandler<TKey, TValue> Timed<TKey, TValue>(StagedHandler<TKey, TValue> handler);

    /// <summary>The batch handler, timed per call; the messages a call finished count handled.</summary>
    Batching.BatchHandler<TKey, TValue> TimedBatches<TKey, TValue>(Batching.BatchHandler<TKey, TValue> handler);
}
