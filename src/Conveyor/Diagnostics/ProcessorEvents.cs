using System.Runtime.CompilerServices;
using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Batching;
using Conveyor.Processing.Engine;

namespace Conveyor.Diagnostics;

/// <summary>
/// Where a processor's events go (the engine sees only <see cref="IEngineEvents"/>): each event to
/// the status store, then to the metrics and traces, then, secrets masked, to the logs (when
/// logging) and the user's observer. The parts each do one job; this only routes. Thread-safe.
/// </summary>
internal sealed class ProcessorEvents : CompositeObserver, IEngineEvents
{
    private readonly ProcessorStatusStore _store;
    private readonly TelemetryObserver _telemetry;
    private readonly IProcessorObserver _edge;
    private readonly Func<string, string> _mask;
    private readonly string _group;
    private readonly LoggingObserver? _log;

    /// <param name="next">The user's observer, or the logging layer in front of it; hears text masked.</param>
    /// <param name="group">The consumer group, a tag on every metric.</param>
    /// <param name="mask">Masks secret property values in a text.</param>
    /// <param name="time">The status store's clock.</param>
    public ProcessorEvents(IProcessorObserver? next, string group, Func<string, string> mask, TimeProvider? time = null)
        : this(new ProcessorStatusStore(mask, time), new TelemetryObserver(group), new MaskingObserver(next, mask), mask, group)
    {
        _log = next as LoggingObserver; // the logs hear limit changes, which are no observer event
    }

    private ProcessorEvents(ProcessorStatusStore store, TelemetryObserver telemetry, MaskingObserver edge, Func<string, string> mask, string group)
        : base(store, telemetry, edge)
    {
        _group = group;
        _store = store;
        _telemetry = telemetry;
        _edge = edge;
        _mask = mask;
    }

    /// <summary>Hears the start of a run (the logs of <see cref="ProcessorOptions.LoggerFactory"/>).</summary>
    public Action? Started { get; init; }

    /// <summary>Hears the end of a run, with its failure (masked) if it failed.</summary>
    public Action<string?>? Ended { get; init; }

    public ProcessorStatus Status => _store.Snapshot();

    public void RunStarted()
    {
        _store.Started();
        ConveyorMetrics.Started(_store, _group);
        Started?.Invoke();
    }

    public void RunEnded(string? failure)
    {
        _store.Stopped(failure);
        ConveyorMetrics.Stopped(_store);
        Ended?.Invoke(failure is null ? null : _mask(failure));
    }

    public override void OnPartitionStopped(TopicPartitionOffset message, Exception exception)
    {
        // The observers hear of a stop before the status shows it, as they always did; the store
        // records the stopped partition and the error that stopped it together.
        _telemetry.OnPartitionStopped(message, exception);
        _edge.OnPartitionStopped(message, exception);
        _store.OnPartitionStopped(message, exception);
    }

    public void Polled() => _store.Polled();

    public void CommitTimed(TimeSpan elapsed, bool succeeded) => _telemetry.CommitTimed(elapsed, succeeded);

    public void Statistics(string json)
    {
        var (lag, ends) = ConsumerStatistics.Read(json);
        _store.Lag(lag, ends);
    }

    public void Buffered(IReadOnlyDictionary<TopicPartition, int> buffered, IReadOnlyDictionary<TopicPartition, long> committable) =>
        _store.Buffered(buffered, committable);

    public void ClientLog(LogMessage message) => OnClientLog(message);

    public void Overloaded(TimeSpan backOff)
    {
        _store.Overloaded(backOff);
        ConveyorMetrics.OverloadBackOffs.Add(1, MetricTags.Group(_group));
        _log?.Overloaded(backOff);
    }

    public void ConcurrencyChanged(int limit, string reason)
    {
        _store.ConcurrencyChanged(limit, reason);
        _log?.ConcurrencyChanged(limit, reason);
    }

    public MessageTrace MessageStarted(WorkItem item) => _telemetry.MessageStarted(item);

    public void MessageEnded(WorkItem item, in MessageTrace trace, in Execution execution) => _telemetry.MessageEnded(item, trace, execution);

    public void MessageDropped(WorkItem item) => _telemetry.MessageDropped(item);

    /// <summary>
    /// The handler, timed and counted per call. A call that completes at once is counted at once,
    /// with no state machine: every message passes here.
    /// </summary>
    public StagedHandler<TKey, TValue> Timed<TKey, TValue>(StagedHandler<TKey, TValue> handler) => (message, cancellationToken) =>
    {
        var started = TelemetryObserver.HandlerStarted();
        var counts = _store.HandlerStarted(message.Topic, message.Partition);
        ValueTask<IPendingAcknowledgement?> call;
        try
        {
            call = handler(message, cancellationToken);
        }
        catch (Exception e)
        {
            HandlerFailed(started, message.Topic, message.Partition, message.Attempt, counts, e);
            throw;
        }

        if (!call.IsCompletedSuccessfully)
        {
            return AwaitTimedAsync(call, started, message.Topic, message.Partition, message.Attempt, counts);
        }

        var pending = call.Result;
        HandlerSucceeded(started, message.Topic, message.Partition, message.Attempt, counts);
        return new ValueTask<IPendingAcknowledgement?>(pending);
    };

    // Pooled: a forwarder's call waits for room in the output window for many messages (awaited once, by the executor).
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<IPendingAcknowledgement?> AwaitTimedAsync(ValueTask<IPendingAcknowledgement?> call, long started, string topic, int partition, int attempt, HandlerCounts counts)
    {
        IPendingAcknowledgement? pending;
        try
        {
            pending = await call.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            HandlerFailed(started, topic, partition, attempt, counts, e);
            throw;
        }

        HandlerSucceeded(started, topic, partition, attempt, counts);
        return pending;
    }

    private void HandlerFailed(long started, string topic, int partition, int attempt, HandlerCounts counts, Exception failure)
    {
        _telemetry.HandlerEnded(started, topic, partition, attempt, failure);
        ProcessorStatusStore.HandlerEnded(counts, succeeded: false);
    }

    private void HandlerSucceeded(long started, string topic, int partition, int attempt, HandlerCounts counts)
    {
        _telemetry.HandlerEnded(started, topic, partition, attempt, failure: null);
        ProcessorStatusStore.HandlerEnded(counts, succeeded: true);
    }

    /// <summary>
    /// The batch handler, timed per call (one attempt of the batch); the messages it finished count
    /// handled: all of them, or those before the one a <see cref="BatchFailedException"/> names.
    /// </summary>
    public BatchHandler<TKey, TValue> TimedBatches<TKey, TValue>(BatchHandler<TKey, TValue> handler) => async (batch, cancellationToken) =>
    {
        var partition = new TopicPartition(batch[0].Topic, batch[0].Partition);
        var started = TelemetryObserver.HandlerStarted();
        var counts = _store.HandlerStarted(partition);
        try
        {
            await handler(batch, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            var finished = e is BatchFailedException failed && failed.Index > 0 && failed.Index < batch.Count ? failed.Index : 0;
            _telemetry.BatchEnded(started, partition, finished, e);
            counts.End(finished);
            throw;
        }

        _telemetry.BatchEnded(started, partition, batch.Count, failure: null);
        counts.End(batch.Count);
    };
}
