using Confluent.Kafka;
using Conveyor.DeadLetters;
using Conveyor.Diagnostics;
using Conveyor.Processing.Commits;
using Conveyor.Processing.Completions;
using Conveyor.Processing.RetryTopics;

namespace Conveyor.Processing.Engine;

/// <summary>
/// The only thread that touches the consumer: fetches messages and submits them, pauses and
/// resumes partitions for back-pressure, commits finished offsets on an interval, and handles
/// rebalances (drain, commit, then give the partitions up). Handlers never run here, so a slow
/// handler cannot delay polling past <c>max.poll.interval.ms</c>.
/// Rebalance handling is in <c>PollLoop.Rebalance.cs</c>, committing in <c>PollLoop.Commit.cs</c>.
/// </summary>
internal sealed partial class PollLoop : IDisposable
{
    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan CommitRetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan StuckAfter = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan StarvingAfter = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan RoomWait = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan BufferedReportInterval = TimeSpan.FromMilliseconds(500);
    private const int MaxBatch = 500;

    private readonly ProcessorOptions _options;
    private readonly Dispatcher _dispatcher;
    private readonly IProcessorObserver _observer;
    private readonly IEngineTelemetry? _telemetry;
    private readonly IConsumer<byte[]?, byte[]?> _consumer;
    private readonly Dictionary<TopicPartition, PartitionState> _partitions = [];
    private readonly List<WorkItem> _batch = new(MaxBatch);
    private long _batchBytes;
    private readonly CommitSchedule _schedule;
    private readonly AsyncCommitter? _asyncCommits;
    private readonly Transactions.TransactionCoordinator? _transactions;
    private readonly StallWatchdog _watchdog;
    private readonly ConsumerPositions _positions;
    private readonly AvailabilityWatch _availability;
    private readonly string _bootstrapServers;
    private readonly CompletionStore? _completions;
    private readonly CompletionMemory? _completionMemory;
    private readonly List<(PartitionState Partition, long Offset)> _skipped = [];
    private readonly List<(PartitionState Partition, long Offset)> _otherGroups = [];
    private readonly byte[] _groupId;
    private readonly RetryRoute? _retries;
    private readonly RebalanceHold _rebalanceHold = new();
    private bool _allPaused;
    private DateTime _bufferedReportDue;

    /// <param name="config">The consumer's settings: where consumption starts, and how to ask the cluster why nothing is assigned.</param>
    /// <param name="consumers">Makes the consumer (tests pass a fake).</param>
    /// <param name="options">How to process.</param>
    /// <param name="dispatcher">Takes the fetched messages.</param>
    /// <param name="schedule">When to commit.</param>
    /// <param name="observer">Hears what happens.</param>
    /// <param name="telemetry">Counts polls, commits and the buffer.</param>
    /// <param name="transactions">Exactly-once: offsets go into these transactions.</param>
    public PollLoop(
        ConsumerConfig config,
        IConsumerFactory consumers,
        ProcessorOptions options,
        Dispatcher dispatcher,
        CommitSchedule schedule,
        IProcessorObserver observer,
        IEngineTelemetry? telemetry = null,
        Transactions.TransactionCoordinator? transactions = null)
    {
        _transactions = transactions;
        _options = options;
        _dispatcher = dispatcher;
        _schedule = schedule;
        _observer = observer;
        _telemetry = telemetry;
        // Before the consumer: its log lines (possibly on librdkafka's threads) reach the watch.
        _availability = new AvailabilityWatch(config, options, observer);
        _bootstrapServers = config.BootstrapServers;
        _consumer = consumers.Create(new ConsumerCallbacks(
            OnAssigned,
            OnRevoked,
            OnLost,
            OnError,
            (_, message) => OnClientLog(message),
            (_, json) => _telemetry?.Statistics(json)));
        _retries = options.OnFailure == FailureAction.RetryTopics ? new RetryRoute(options) : null;
        _groupId = System.Text.Encoding.UTF8.GetBytes(options.GroupId);
        _completions = transactions is null ? CompletionStore.For(() => consumers.OffsetsWithMetadata(_consumer), options, observer) : null;
        _completionMemory = _completions is null ? null : new CompletionMemory(TimeProvider.System);
        _asyncCommits = options.CommitMode == OffsetCommitMode.Asynchronous ? new AsyncCommitter(CommitNow) : null;
        _watchdog = new StallWatchdog(options.StallTimeout, observer);
        _positions = new ConsumerPositions(_consumer, resetToEarliest: config.AutoOffsetReset == AutoOffsetReset.Earliest);
    }

    /// <summary>Set when the client reported a fatal error.</summary>
    public Error? Fatal { get; private set; }

    /// <summary>Set when the processor could not start and <see cref="ProcessorOptions.FailWhenUnavailable"/> is on.</summary>
    public string? Unavailable { get; private set; }

    /// <summary>Polls until <paramref name="stopping"/> is cancelled; then drains, commits and leaves the group.</summary>
    public void Run(CancellationToken stopping, CancellationTokenSource abort)
    {
        _consumer.Subscribe(RetryRoute.Subscriptions(_options));
        _schedule.Restart(DateTime.UtcNow);
        try
        {
            while (!stopping.IsCancellationRequested && Fatal is null && Unavailable is null)
            {
                _telemetry?.Polled();
                var now = DateTime.UtcNow;
                Unavailable = _availability.Check(now);
                ApplyBackPressure(now);
                WatchForStalls(now);
                ReportBuffered(now);
                if (_schedule.IsDue(now) || _transactions?.AbortRequested == true)
                {
                    CommitFinished(_partitions.Values);
                }

                Fetch(stopping, now);
                if (_batch.Count > 0)
                {
                    SubmitBatch();
                }

                PassSkipped();
            }
        }
        finally
        {
            Shutdown(abort);
        }
    }

    public void Dispose() => _consumer.Dispose();

    /// <summary>
    /// Takes what the consumer has fetched into a batch, waiting briefly for the first message:
    /// at-most-once commits the batch before handling it, and either way the batch is submitted
    /// under one dispatcher lock, not one per message (the lock the workers take too). A partition
    /// is paused the moment its buffer is full.
    /// </summary>
    private void Fetch(CancellationToken stopping, DateTime now)
    {
        var timeout = PollTimeout;
        while (_batch.Count < MaxBatch && !stopping.IsCancellationRequested)
        {
            // A full buffer takes no more, unless every partition is paused: then Consume returns
            // no messages but still serves rebalances, which must not wait for handlers to catch up.
            if (TotalBufferFull() && !_allPaused)
            {
                return;
            }

            ConsumeResult<byte[]?, byte[]?>? result;
            try
            {
                result = _consumer.Consume(timeout);
            }
            catch (ConsumeException e)
            {
                OnError(_consumer, e.Error);
                return;
            }

            if (result is null)
            {
                return;
            }

            timeout = TimeSpan.Zero; // take what is already fetched, without waiting for more
            if (result.IsPartitionEOF
                || !_partitions.TryGetValue(result.TopicPartition, out var partition)
                || !partition.AcceptsWork
                || partition.Poll.RetryDueAt is not null)
            {
                // A stopped partition's later messages are not tracked: its commit stays at the
                // failed message and they are fetched again after a restart.
                continue;
            }

            // Another group's retry or replay is not waited for (its due time is not ours), only passed.
            var otherGroup = ForOtherGroup(result);
            if (!otherGroup && _retries is not null && NotYetDue(partition, result, now))
            {
                continue;
            }

            _watchdog.Delivered(partition, result.Offset.Value, now);
            if (partition.Poll.FirstDelivered < 0)
            {
                partition.Poll.FirstDelivered = result.Offset.Value;
            }

            if (otherGroup)
            {
                _otherGroups.Add((partition, result.Offset.Value));
                continue;
            }

            if (partition.Restored.Contains(result.Offset.Value))
            {
                // Finished before this assignment (the commit metadata says so): the tracker counts it finished.
                _skipped.Add((partition, result.Offset.Value));
                continue;
            }

            var item = new WorkItem(result, partition, LaneKey.For(_options.Ordering, partition, result.Message.Key));
            _batch.Add(item);
            _batchBytes += item.Size;
            partition.Poll.Batched++;
        }
    }

    /// <summary>Whether the message names another consumer group as the only one to handle it (<see cref="DeadLetterHeaders.TargetGroup"/>).</summary>
    private bool ForOtherGroup(ConsumeResult<byte[]?, byte[]?> result) =>
        result.Message.Headers is { Count: > 0 } headers
        && headers.TryGetLastBytes(DeadLetterHeaders.TargetGroup, out var group)
        && !group.AsSpan().SequenceEqual(_groupId);

    private bool TotalBufferFull() =>
        BackPressure.TotalFull(_dispatcher.Buffered + _batch.Count, _dispatcher.BufferedBytes + _batchBytes, _options.MaxBufferedMessages, _options.MaxBufferedBytes);

    private void SubmitBatch()
    {
        // A rebalance inside Consume may have revoked partitions of messages in the batch. Their
        // messages were never tracked, so the revoke's commit could not pass them.
        _batch.RemoveAll(item => !item.Partition.AcceptsWork);
        if (_options.Guarantee == DeliveryGuarantee.AtMostOnce)
        {
            CommitBeforeHandling();
        }

        foreach (var item in _batch)
        {
            item.Partition.Poll.Batched = 0;
        }

        _dispatcher.Submit(_batch);
        _batch.Clear();
        _batchBytes = 0;
    }

    /// <summary>
    /// Reports the messages skipped in the last fetch because they were finished before this
    /// assignment or belong to another group, and lets the committable offsets pass them (after the batch fetched with them
    /// was submitted, so a commit never passes one of its messages).
    /// </summary>
    private void PassSkipped()
    {
        if (_skipped.Count > 0)
        {
            _dispatcher.PassRestored(_skipped);
            _observer.OnFinishedSkipped([.. _skipped.Select(s => new TopicPartitionOffset(s.Partition.TopicPartition, s.Offset))]);
            _skipped.Clear();
        }

        if (_otherGroups.Count > 0)
        {
            _dispatcher.PassOtherGroups(_otherGroups);
            _observer.OnOtherGroupSkipped([.. _otherGroups.Select(s => new TopicPartitionOffset(s.Partition.TopicPartition, s.Offset))]);
            _otherGroups.Clear();
        }
    }

    /// <summary>
    /// Reports partitions that have messages to read but deliver nothing although the engine does
    /// not hold them, and resumes them in the client, which may hold them without the engine knowing.
    /// </summary>
    private void WatchForStalls(DateTime now)
    {
        if (_allPaused || TotalBufferFull())
        {
            _watchdog.HeldAll(now);
        }

        if (_watchdog.Check(now, _partitions.Values, _positions) is { } stalled)
        {
            ResumeInClient([.. stalled.Select(p => p.TopicPartition)]);
        }
    }

    private void ReportBuffered(DateTime now)
    {
        if (_telemetry is null || now < _bufferedReportDue)
        {
            return;
        }

        _bufferedReportDue = now + BufferedReportInterval;
        var committable = new Dictionary<TopicPartition, long>();
        foreach (var (topicPartition, partition) in _partitions)
        {
            if (_dispatcher.Committable(partition) is { } offset)
            {
                committable[topicPartition] = offset;
            }
        }

        _telemetry.Buffered(_partitions.ToDictionary(p => p.Key, p => p.Value.Buffered), committable); // buffered: a display figure, read without the dispatcher's lock
    }

    private void OnClientLog(LogMessage message)
    {
        if (GroupProtocolCheck.Problem(message, _bootstrapServers) is { } problem)
        {
            _availability.Definite(problem);
        }

        _telemetry?.ClientLog(message);
    }

    private void OnError(IConsumer<byte[]?, byte[]?> consumer, Error error)
    {
        _availability.Noted(error);
        _observer.OnError(error);
        if (error.IsFatal)
        {
            Fatal = error;
        }
    }

    private void Shutdown(CancellationTokenSource abort)
    {
        var partitions = _partitions.Values.ToList();
        var drained = _dispatcher.DrainAsync(partitions);
        if (!drained.Wait(_options.ShutdownTimeout))
        {
            // Handlers past the stop timeout are told to give up; their messages stay unfinished.
            abort.Cancel();
            drained.Wait(TimeSpan.FromSeconds(5));
        }

        CommitFinished(partitions, final: true);
        try
        {
            _consumer.Close(); // leaves the group now, so the others need not wait for a session timeout
        }
        catch (KafkaException e)
        {
            _observer.OnError(e.Error);
        }
    }
}
