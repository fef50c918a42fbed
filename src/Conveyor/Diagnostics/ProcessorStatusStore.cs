using System.Collections.Concurrent;
using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Engine;

namespace Conveyor.Diagnostics;

/// <summary>
/// One processor's state, owned here and nowhere else: its life (state, failure, last poll),
/// assignments, paused, stalled and stopped partitions (with the reason), what it has done (handled,
/// retries, dead letters, the rate), handler calls in flight, lag, buffer figures and its last
/// error. It hears the engine's events and hands out immutable <see cref="ProcessorStatus"/>
/// snapshots, read by the health check, the dashboard, the metrics' gauges and the CLI's stats.
/// Text leaves it masked (<c>mask</c>): a snapshot is where secrets would reach a reader. Thread-safe.
/// </summary>
internal sealed class ProcessorStatusStore : IProcessorObserver
{
    private static readonly IReadOnlyDictionary<TopicPartition, int> NoCounts = new Dictionary<TopicPartition, int>();
    private static readonly IReadOnlyDictionary<TopicPartition, long> NoOffsets = new Dictionary<TopicPartition, long>();

    private readonly Func<string, string> _mask;
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private readonly RateHistory _rate;
    private readonly HashSet<TopicPartition> _assigned = [];
    private readonly HashSet<TopicPartition> _paused = [];
    private readonly Dictionary<TopicPartition, (TopicPartitionOffset At, string Reason)> _stopped = [];
    private readonly Dictionary<TopicPartition, TopicPartitionOffset> _stalled = [];
    private readonly ConcurrentDictionary<TopicPartition, HandlerCounts> _handlers = new(TopicPartitionKey.Instance); // counted outside the lock: every handler call
    private readonly Dictionary<TopicPartition, long> _committed = [];
    private Dictionary<TopicPartition, long> _lag = [];
    private Dictionary<TopicPartition, long> _ends = [];
    private IReadOnlyDictionary<TopicPartition, int> _buffered = NoCounts;
    private IReadOnlyDictionary<TopicPartition, long> _committable = NoOffsets;
    private ProcessorState _state;
    private string? _failure;
    private string? _unavailable;
    private LastError? _lastError;
    private long _lastPollTicks;
    private long _handledInRate;
    private long _rateSampled;
    private long _retries;
    private long _deadLettered;
    private int _concurrencyLimit;
    private string? _concurrencyReason;
    private DateTimeOffset? _overloadedUntil;

    /// <param name="mask">Masks secret values in a text before a snapshot shows it.</param>
    /// <param name="time">The clock of the last error and the rate.</param>
    public ProcessorStatusStore(Func<string, string> mask, TimeProvider? time = null)
    {
        _mask = mask;
        _time = time ?? TimeProvider.System;
        _rate = new RateHistory(_time);
    }

    /// <summary>The processor's state now. Later events do not change a snapshot already taken.</summary>
    public ProcessorStatus Snapshot()
    {
        lock (_lock)
        {
            SampleRateLocked();
            var ticks = Volatile.Read(ref _lastPollTicks);
            return new ProcessorStatus(
                _state,
                ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero),
                [.. _stopped.Values.Select(s => s.At)],
                [.. _assigned],
                _failure is null ? null : _mask(_failure))
            {
                StalledPartitions = [.. _stalled.Values],
                Unavailable = _unavailable is null ? null : _mask(_unavailable),
                BufferedMessages = Volatile.Read(ref _buffered),
                CommittableOffsets = Volatile.Read(ref _committable),
                LastError = _lastError is null ? null : _lastError with { Message = _mask(_lastError.Message) },
                Lag = new Dictionary<TopicPartition, long>(_lag),
                EndOffsets = new Dictionary<TopicPartition, long>(_ends),
                ConcurrencyLimit = _concurrencyLimit,
                ConcurrencyReason = _concurrencyReason,
                OverloadedUntil = _overloadedUntil > _time.GetUtcNow() ? _overloadedUntil : null,
                Committed = new Dictionary<TopicPartition, long>(_committed),
                Activity = new ActivitySnapshot(
                    Handled(),
                    _retries,
                    _deadLettered,
                    _rate.Rates(RateHistory.Seconds / ActivitySnapshot.BucketSeconds, ActivitySnapshot.BucketSeconds),
                    _handlers.Where(p => p.Value.Running > 0).ToDictionary(p => p.Key, p => p.Value.Running),
                    [.. _paused],
                    _stopped.ToDictionary(s => s.Key, s => new StoppedAt(s.Value.At.Offset.Value, _mask(s.Value.Reason)))),
            };
        }
    }

    /// <summary>A run starts.</summary>
    public void Started()
    {
        lock (_lock)
        {
            _state = ProcessorState.Running;
        }
    }

    /// <summary>The run ended, failed with <paramref name="failure"/> if it did: no partitions any more.</summary>
    public void Stopped(string? failure)
    {
        lock (_lock)
        {
            _state = failure is null ? ProcessorState.Stopped : ProcessorState.Failed;
            _failure = failure;
            _assigned.Clear();
            _paused.Clear();
            _stopped.Clear();
            _stalled.Clear();
            _unavailable = null;
            _lag = [];
            _ends = [];
            _committed.Clear();
        }
    }

    /// <summary>The poll loop went round; about once a second it also moves the handled count into the rate.</summary>
    public void Polled()
    {
        Volatile.Write(ref _lastPollTicks, _time.GetUtcNow().UtcTicks); // shown, and compared with the wall clock by health checks
        var now = _time.GetTimestamp(); // monotonic: a wall-clock step back must not stop the sampling until it catches up
        if (_rateSampled == 0 || _time.GetElapsedTime(_rateSampled, now) >= TimeSpan.FromSeconds(1))
        {
            _rateSampled = now; // the poll thread's alone
            lock (_lock)
            {
                SampleRateLocked();
            }
        }
    }

    /// <summary>Fetched, unfinished messages and committable offsets per partition, as the poll loop reported them (each report a new dictionary).</summary>
    public void Buffered(IReadOnlyDictionary<TopicPartition, int> buffered, IReadOnlyDictionary<TopicPartition, long> committable)
    {
        Volatile.Write(ref _buffered, buffered);
        Volatile.Write(ref _committable, committable);
    }

    /// <summary>The overload back-off holds handlers for <paramref name="backOff"/> from now.</summary>
    public void Overloaded(TimeSpan backOff)
    {
        lock (_lock)
        {
            _overloadedUntil = _time.GetUtcNow() + backOff;
        }
    }

    /// <summary>The live concurrency limit and why it is what it is.</summary>
    public void ConcurrencyChanged(int limit, string reason)
    {
        lock (_lock)
        {
            _concurrencyLimit = limit;
            _concurrencyReason = reason;
        }
    }

    /// <summary>The lag and end offset of each partition from the client's statistics; only assigned partitions are kept.</summary>
    public void Lag(Dictionary<TopicPartition, long> lag, Dictionary<TopicPartition, long> ends)
    {
        lock (_lock)
        {
            _lag = lag.Where(l => _assigned.Contains(l.Key)).ToDictionary();
            _ends = ends.Where(e => _assigned.Contains(e.Key)).ToDictionary();
        }
    }

    /// <summary>A handler call starts: returns its partition's counts, for <see cref="HandlerEnded(HandlerCounts, bool)"/>.</summary>
    public HandlerCounts HandlerStarted(TopicPartition partition)
    {
        var counts = _handlers.GetOrAdd(partition, static _ => new HandlerCounts());
        counts.Start();
        return counts;
    }

    /// <summary>As <see cref="HandlerStarted(TopicPartition)"/>, by topic and number: every handler call passes here, and finds its counts without a new <see cref="TopicPartition"/>.</summary>
    public HandlerCounts HandlerStarted(string topic, int partition)
    {
        if (!_handlers.GetAlternateLookup<(string, int)>().TryGetValue((topic, partition), out var counts))
        {
            counts = _handlers.GetOrAdd(new TopicPartition(topic, partition), static _ => new HandlerCounts());
        }

        counts.Start();
        return counts;
    }

    /// <summary>A handler call ends; <paramref name="succeeded"/> counts the message handled.</summary>
    public static void HandlerEnded(HandlerCounts counts, bool succeeded) => counts.End(succeeded);

    /// <summary>As <see cref="HandlerEnded(HandlerCounts, bool)"/>, by partition.</summary>
    public void HandlerEnded(TopicPartition partition, bool succeeded) => HandlerEnded(_handlers.GetOrAdd(partition, static _ => new HandlerCounts()), succeeded);

    public void OnPartitionsAssigned(IReadOnlyList<TopicPartition> partitions)
    {
        lock (_lock)
        {
            Forget(partitions);
            _assigned.UnionWith(partitions);
            if (partitions.Count > 0)
            {
                _unavailable = null;
            }
        }
    }

    public void OnPartitionsRevoked(IReadOnlyList<TopicPartition> partitions)
    {
        lock (_lock)
        {
            _assigned.ExceptWith(partitions);
            Forget(partitions);
        }
    }

    public void OnPartitionsLost(IReadOnlyList<TopicPartition> partitions) => OnPartitionsRevoked(partitions);

    public void OnUnavailable(string problem)
    {
        lock (_lock)
        {
            _unavailable = problem;
        }
    }

    public void OnCommitted(IReadOnlyList<TopicPartitionOffset> offsets)
    {
        lock (_lock)
        {
            foreach (var offset in offsets.Where(o => _assigned.Contains(o.TopicPartition)))
            {
                _committed[offset.TopicPartition] = offset.Offset.Value;
            }
        }
    }

    public void OnCommitFailed(IReadOnlyList<TopicPartitionOffset> offsets, Error error) =>
        Remember($"commit of {Describe(offsets)} failed: {error.Reason}");

    public void OnRetrying(TopicPartitionOffset message, int failedAttempt, Exception exception, TimeSpan delay)
    {
        lock (_lock)
        {
            _retries++;
        }
    }

    public void OnDeadLettered(TopicPartitionOffset message, TopicPartitionOffset deadLetter, Exception exception)
    {
        var error = $"{exception.GetType().Name}: {exception.Message.ReplaceLineEndings(" ")}";
        lock (_lock)
        {
            _deadLettered++;
            RememberLocked($"{Describe(message)} failed for good and was dead-lettered to {Describe(deadLetter)}: {error}");
        }
    }

    /// <summary>The stopped partition and the error that stopped it show in the same snapshots.</summary>
    public void OnPartitionStopped(TopicPartitionOffset message, Exception exception)
    {
        var reason = $"{exception.GetType().Name}: {exception.Message}";
        lock (_lock)
        {
            _stopped[message.TopicPartition] = (message, reason);
            RememberLocked($"{Describe(message)} failed for good and stopped its partition: {reason}");
        }
    }

    public void OnBackPressure(IReadOnlyList<TopicPartition> partitions, bool paused)
    {
        lock (_lock)
        {
            if (paused)
            {
                _paused.UnionWith(partitions);
            }
            else
            {
                _paused.ExceptWith(partitions);
            }
        }
    }

    public void OnPartitionStalled(TopicPartitionOffset position, long endOffset, TimeSpan idle)
    {
        lock (_lock)
        {
            _stalled[position.TopicPartition] = position;
        }
    }

    public void OnPartitionStallEnded(TopicPartition partition)
    {
        lock (_lock)
        {
            _stalled.Remove(partition);
        }
    }

    public void OnError(Error error) => Remember($"client error {error.Code}: {error.Reason}");

    private void Remember(string message)
    {
        lock (_lock)
        {
            RememberLocked(message);
        }
    }

    private void RememberLocked(string message) => _lastError = new LastError(_time.GetUtcNow(), message);

    /// <summary>Moves what was handled since the last sample into the rate: the per-message path only increments a counter.</summary>
    private void SampleRateLocked()
    {
        var handled = Handled();
        if (handled != _handledInRate)
        {
            _rate.Add(handled - _handledInRate);
            _handledInRate = handled;
        }
    }

    /// <summary>A partition given up (or newly assigned) starts without the old owner's pauses, stops, stalls and lag.</summary>
    private void Forget(IReadOnlyList<TopicPartition> partitions)
    {
        _paused.ExceptWith(partitions);
        foreach (var partition in partitions)
        {
            _stopped.Remove(partition);
            _stalled.Remove(partition);
            _lag.Remove(partition);
            _ends.Remove(partition);
            _committed.Remove(partition);
        }
    }

    private long Handled() => _handlers.Values.Sum(c => c.Handled);

    private static string Describe(IEnumerable<TopicPartitionOffset> offsets) => Positions.Of(offsets);

    private static string Describe(TopicPartitionOffset at) => Positions.Of(at);
}
