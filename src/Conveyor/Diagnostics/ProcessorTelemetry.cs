using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Confluent.Kafka;
using Conveyor.Processing;

namespace Conveyor.Diagnostics;

/// <summary>
/// One processor's metrics, traces and status. Sits in front of the user's observer: hears every
/// engine event first (consumer, dead-letter, output and transactional producers alike), records
/// it, then passes it on; errors and client log lines with secret values masked. Thread-safe.
/// </summary>
internal sealed partial class ProcessorTelemetry : CompositeObserver, IEngineTelemetry
{
    private readonly string _group;
    private readonly Func<string, string> _redact;
    private readonly Lock _lock = new();
    private readonly HashSet<TopicPartition> _assigned = [];
    private readonly HashSet<TopicPartition> _paused = [];
    private readonly Dictionary<TopicPartition, TopicPartitionOffset> _stopped = [];
    private readonly Dictionary<TopicPartition, TopicPartitionOffset> _stalled = [];
    private Dictionary<TopicPartition, long> _lag = [];
    private IReadOnlyDictionary<TopicPartition, int> _buffered = new Dictionary<TopicPartition, int>();
    private IReadOnlyDictionary<TopicPartition, long> _committable = new Dictionary<TopicPartition, long>();
    private long _lastPollTicks;
    private ProcessorState _state;
    private string? _failure;
    private string? _unavailable;

    /// <param name="next">The user's observer.</param>
    /// <param name="group">The consumer group, a tag on everything.</param>
    /// <param name="redact">Removes secrets from client log lines.</param>
    public ProcessorTelemetry(IProcessorObserver? next, string group, Func<string, string> redact)
        : base(next)
    {
        _group = group;
        _redact = redact;
    }

    /// <summary>Hears the start of a run (the logs of <see cref="Processing.ProcessorOptions.LoggerFactory"/>).</summary>
    public Action? Started { get; init; }

    /// <summary>Hears the end of a run, with its failure if it failed.</summary>
    public Action<string?>? Ended { get; init; }

    public ProcessorStatus Status
    {
        get
        {
            lock (_lock)
            {
                var ticks = Volatile.Read(ref _lastPollTicks);
                return new ProcessorStatus(
                    _state,
                    ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero),
                    [.. _stopped.Values],
                    [.. _assigned],
                    _failure)
                {
                    StalledPartitions = [.. _stalled.Values],
                    Unavailable = _unavailable,
                    BufferedMessages = Volatile.Read(ref _buffered),
                    CommittableOffsets = Volatile.Read(ref _committable),
                };
            }
        }
    }

    public void Start()
    {
        lock (_lock)
        {
            _state = ProcessorState.Running;
        }

        ConveyorMetrics.Started(this);
        Started?.Invoke();
    }

    public void Stop(string? failure)
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
        }

        ConveyorMetrics.Stopped(this);
        Ended?.Invoke(failure);
    }

    public override void OnPartitionsAssigned(IReadOnlyList<TopicPartition> partitions)
    {
        lock (_lock)
        {
            _assigned.UnionWith(partitions);
            if (partitions.Count > 0)
            {
                _unavailable = null;
            }
        }

        ConveyorMetrics.Rebalances.Add(1, Tag(MessagingAttributes.RebalanceEvent, "assigned"));
        base.OnPartitionsAssigned(partitions);
    }

    public override void OnPartitionsRevoked(IReadOnlyList<TopicPartition> partitions)
    {
        Forget(partitions);
        ConveyorMetrics.Rebalances.Add(1, Tag(MessagingAttributes.RebalanceEvent, "revoked"));
        base.OnPartitionsRevoked(partitions);
    }

    public override void OnPartitionsLost(IReadOnlyList<TopicPartition> partitions)
    {
        Forget(partitions);
        ConveyorMetrics.Rebalances.Add(1, Tag(MessagingAttributes.RebalanceEvent, "lost"));
        base.OnPartitionsLost(partitions);
    }

    public override void OnUnavailable(string problem)
    {
        lock (_lock)
        {
            _unavailable = problem;
        }

        base.OnUnavailable(problem);
    }

    public override void OnRetrying(TopicPartitionOffset message, int failedAttempt, Exception exception, TimeSpan delay)
    {
        ConveyorMetrics.Retried.Add(1, MessageTags(message.TopicPartition));
        base.OnRetrying(message, failedAttempt, exception, delay);
    }

    public override void OnDeadLettered(TopicPartitionOffset message, TopicPartitionOffset deadLetter, Exception exception)
    {
        var tags = MessageTags(message.TopicPartition);
        ConveyorMetrics.Failed.Add(1, tags);
        ConveyorMetrics.DeadLettered.Add(1, tags);
        MarkFailed(exception, $"dead-lettered to {deadLetter.Topic}");
        base.OnDeadLettered(message, deadLetter, exception);
    }

    public override void OnPartitionStopped(TopicPartitionOffset message, Exception exception)
    {
        ConveyorMetrics.Failed.Add(1, MessageTags(message.TopicPartition));
        MarkFailed(exception, "partition stopped");

        // The inner observers (the hosted logging layer remembers the last error) hear it before the
        // status shows the stopped partition, so a health check never sees the one without the other.
        base.OnPartitionStopped(message, exception);
        lock (_lock)
        {
            _stopped[message.TopicPartition] = message;
        }
    }

    public override void OnBackPressure(IReadOnlyList<TopicPartition> partitions, bool paused)
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

        base.OnBackPressure(partitions, paused);
    }

    public override void OnPartitionStalled(TopicPartitionOffset position, long endOffset, TimeSpan idle)
    {
        lock (_lock)
        {
            _stalled[position.TopicPartition] = position;
        }

        ConveyorMetrics.Stalls.Add(1, MessageTags(position.TopicPartition));
        base.OnPartitionStalled(position, endOffset, idle);
    }

    public override void OnPartitionStallEnded(TopicPartition partition)
    {
        lock (_lock)
        {
            _stalled.Remove(partition);
        }

        base.OnPartitionStallEnded(partition);
    }

    public override void OnFinishedSkipped(IReadOnlyList<TopicPartitionOffset> messages)
    {
        foreach (var partition in messages.GroupBy(m => m.TopicPartition))
        {
            ConveyorMetrics.SkippedFinished.Add(partition.Count(), MessageTags(partition.Key));
        }

        base.OnFinishedSkipped(messages);
    }

    public override void OnOtherGroupSkipped(IReadOnlyList<TopicPartitionOffset> messages)
    {
        foreach (var partition in messages.GroupBy(m => m.TopicPartition))
        {
            ConveyorMetrics.SkippedOtherGroup.Add(partition.Count(), MessageTags(partition.Key));
        }

        base.OnOtherGroupSkipped(messages);
    }

    public override void OnCompletionsUnreadable(TopicPartitionOffset committed, string problem) => base.OnCompletionsUnreadable(committed, _redact(problem));

    public override void OnError(Error error) => base.OnError(new Error(error.Code, _redact(error.Reason), error.IsFatal));

    public void Buffered(IReadOnlyDictionary<TopicPartition, int> buffered, IReadOnlyDictionary<TopicPartition, long> committable)
    {
        Volatile.Write(ref _buffered, buffered);
        Volatile.Write(ref _committable, committable);
    }

    public void Polled() => Volatile.Write(ref _lastPollTicks, DateTimeOffset.UtcNow.UtcTicks);

    public void CommitTimed(TimeSpan elapsed, bool succeeded)
    {
        var tags = GroupTags();
        ConveyorMetrics.CommitDuration.Record(elapsed.TotalSeconds, tags);
        (succeeded ? ConveyorMetrics.Commits : ConveyorMetrics.CommitFailures).Add(1, tags);
    }

    public void Statistics(string json)
    {
        var lag = ConsumerStatistics.Lag(json);
        lock (_lock)
        {
            lag = lag.Where(l => _assigned.Contains(l.Key)).ToDictionary();
            _lag = lag;
        }
    }

    public override void OnClientLog(LogMessage message) =>
        base.OnClientLog(new LogMessage(message.Name, message.Level, message.Facility, _redact(message.Message)));

    public void ClientLog(LogMessage message) => OnClientLog(message);

    internal IEnumerable<Measurement<long>> LagMeasurements()
    {
        lock (_lock)
        {
            return [.. _lag.Select(l => new Measurement<long>(l.Value, MessageTags(l.Key)))];
        }
    }

    internal Measurement<long> PausedMeasurement()
    {
        lock (_lock)
        {
            return new Measurement<long>(_paused.Count, GroupTags());
        }
    }

    internal Measurement<long> StalledMeasurement()
    {
        lock (_lock)
        {
            return new Measurement<long>(_stalled.Count, GroupTags());
        }
    }

    internal Measurement<long> StoppedMeasurement()
    {
        lock (_lock)
        {
            return new Measurement<long>(_stopped.Count, GroupTags());
        }
    }

    private void Forget(IReadOnlyList<TopicPartition> partitions)
    {
        lock (_lock)
        {
            _assigned.ExceptWith(partitions);
            _paused.ExceptWith(partitions);
            foreach (var partition in partitions)
            {
                _stopped.Remove(partition);
                _stalled.Remove(partition);
                _lag.Remove(partition);
            }
        }
    }

    private static void MarkFailed(Exception exception, string description)
    {
        // Called in the message's own flow: the current activity is the message's.
        var errorType = exception.GetType().FullName ?? exception.GetType().Name;
        if (Activity.Current is { Source.Name: ConveyorDiagnostics.ActivitySourceName } activity)
        {
            activity.SetStatus(ActivityStatusCode.Error, $"{description}: {exception.Message}");
            activity.SetTag(MessagingAttributes.ErrorType, errorType);
        }
    }

    private TagList GroupTags() => new()
    {
        { MessagingAttributes.System, MessagingAttributes.Kafka },
        { MessagingAttributes.ConsumerGroup, _group },
    };

    private TagList Tag(string key, string value)
    {
        var tags = GroupTags();
        tags.Add(key, value);
        return tags;
    }

    private TagList MessageTags(TopicPartition partition) => new()
    {
        { MessagingAttributes.System, MessagingAttributes.Kafka },
        { MessagingAttributes.ConsumerGroup, _group },
        { MessagingAttributes.Destination, partition.Topic },
        { MessagingAttributes.Partition, partition.Partition.Value.ToString(CultureInfo.InvariantCulture) },
    };
}
