using Confluent.Kafka;
using Conveyor.DeadLetters;
using Conveyor.Processing.Commits;

namespace Conveyor.Processing.Engine;

/// <summary>
/// Feeds the dispatcher on the poll thread: takes what the consumer has fetched into a batch,
/// waiting briefly for the first message, and submits the batch under one dispatcher lock, not one
/// per message (the lock the workers take too). Messages finished before this assignment (the
/// commit metadata says so) or meant for another group (<see cref="DeadLetterHeaders.TargetGroup"/>)
/// are not handled, only passed, after the batch fetched with them was submitted, so a commit never
/// passes one of its messages.
/// </summary>
internal sealed class Feeder
{
    /// <summary>The most messages one turn of the loop takes.</summary>
    public const int MaxBatch = 500;

    private static readonly TimeSpan PollTimeout = TimeSpan.FromMilliseconds(50);

    private readonly ProcessorOptions _options;
    private readonly IMessageSource _messages;
    private readonly IConsumer<byte[]?, byte[]?> _consumer;
    private readonly Dispatcher _dispatcher;
    private readonly OwnedPartitions _partitions;
    private readonly ICommitStrategy _commits;
    private readonly RetryTopicWaits _retries;
    private readonly FlowControl _flow;
    private readonly StallWatchdog _watchdog;
    private readonly IProcessorObserver _observer;
    private readonly Action<Error> _onError;
    private readonly byte[] _groupId;
    private readonly List<WorkItem> _batch = new(MaxBatch);
    private readonly List<(PartitionState Partition, long Offset)> _skipped = [];
    private readonly List<(PartitionState Partition, long Offset)> _otherGroups = [];
    private long _batchBytes;
    private Dictionary<TopicPartition, PartitionState>? _firstAssignments;
    private PartitionState? _runPartition;
    private int _run;

    /// <param name="options">Ordering, buffer limits and the group.</param>
    /// <param name="messages">Fetches (the consumer's messages, read natively or by the consumer).</param>
    /// <param name="consumer">Puts a message back (a seek) when the buffer cannot take it.</param>
    /// <param name="dispatcher">Takes the batch, and passes the skipped messages.</param>
    /// <param name="partitions">The owned partitions: messages of others are dropped.</param>
    /// <param name="commits">Told before a batch is submitted (at-most-once commits it first).</param>
    /// <param name="retries">Retry-topic messages not yet due wait.</param>
    /// <param name="flow">Whether every partition is paused.</param>
    /// <param name="watchdog">Told of every message delivered.</param>
    /// <param name="observer">Hears of skipped messages.</param>
    /// <param name="onError">A fetch failed.</param>
    public Feeder(
        ProcessorOptions options,
        IMessageSource messages,
        IConsumer<byte[]?, byte[]?> consumer,
        Dispatcher dispatcher,
        OwnedPartitions partitions,
        ICommitStrategy commits,
        RetryTopicWaits retries,
        FlowControl flow,
        StallWatchdog watchdog,
        IProcessorObserver observer,
        Action<Error> onError)
    {
        _options = options;
        _messages = messages;
        _consumer = consumer;
        _dispatcher = dispatcher;
        _partitions = partitions;
        _commits = commits;
        _retries = retries;
        _flow = flow;
        _watchdog = watchdog;
        _observer = observer;
        _onError = onError;
        _groupId = System.Text.Encoding.UTF8.GetBytes(options.GroupId);
    }

    /// <summary>Fetches a batch, submits it, and passes the messages skipped meanwhile.</summary>
    public void Feed(CancellationToken stopping, DateTime now)
    {
        Fetch(stopping, now);
        if (_batch.Count > 0)
        {
            SubmitBatch();
        }

        PassSkipped();
    }

    /// <summary>Whether the buffer, with the batch being fetched, holds all it may.</summary>
    public bool TotalBufferFull() =>
        BackPressure.TotalFull(_dispatcher.Buffered + _batch.Count, _dispatcher.BufferedBytes + _batchBytes, _options.MaxBufferedMessages, _options.MaxBufferedBytes);

    /// <summary>Takes what the consumer has fetched into the batch. A partition is paused the moment its buffer is full.</summary>
    private void Fetch(CancellationToken stopping, DateTime now)
    {
        var timeout = PollTimeout;
        DateTime? arrived = null; // the engine's time, read once a batch, when its first message came
        while (_batch.Count < MaxBatch && !stopping.IsCancellationRequested)
        {
            // A full buffer takes no more, unless every partition is paused: then Consume returns
            // no messages but still serves rebalances, which must not wait for handlers to catch up.
            if (TotalBufferFull() && !_flow.AllPaused)
            {
                return;
            }

            ConsumeResult<byte[]?, byte[]?>? result;
            try
            {
                result = _messages.Consume(timeout);
            }
            catch (ConsumeException e)
            {
                _onError(e.Error);
                return;
            }

            if (result is null)
            {
                return;
            }

            if (TotalBufferFull() && PutBack(result))
            {
                // Every partition is paused and the buffer is full, so this came from a partition
                // assigned inside this Consume: taking it would pass the buffer's cap (by up to a
                // whole batch). It was put back; the next turn pauses the new partition like the others.
                return;
            }

            timeout = TimeSpan.Zero; // take what is already fetched, without waiting for more

            // Read once a turn, when its first message came: the turn's start can be up to the poll
            // timeout earlier, which would make a partition look quiet that was not.
            arrived ??= _watchdog.Now;
            if (result.IsPartitionEOF
                || !_partitions.TryGetValue(result.Topic, result.Partition.Value, out var partition)
                || !partition.AcceptsWork
                || partition.Poll.RetryDueAt is not null)
            {
                // A stopped partition's later messages are not tracked: its commit stays at the
                // failed message and they are fetched again after a restart.
                continue;
            }

            // Another group's retry or replay is not waited for (its due time is not ours), only passed.
            var otherGroup = ForOtherGroup(result);
            if (!otherGroup && _retries.NotYetDue(partition, result))
            {
                continue;
            }

            _watchdog.Delivered(partition, result.Offset.Value, arrived.Value);
            partition.Poll.LastDeliveredAt = arrived.Value;
            if (partition.Poll.ResumedAt is not null)
            {
                _flow.Refetched(partition, now);
            }
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

            var item = new WorkItem(result, partition, LaneKey.For(_options.Ordering, LanePartition(partition), result.Message.Key));
            _batch.Add(item);
            _batchBytes += item.Size;
            Rotate(partition);
        }
    }

    /// <summary>Counts the partition's messages in a row; pauses it when others starve behind it (<see cref="FlowControl.Rotates"/>).</summary>
    private void Rotate(PartitionState partition)
    {
        _run = partition == _runPartition ? _run + 1 : 1;
        _runPartition = partition;
        if (_flow.Rotates(partition, _run))
        {
            _flow.Rotate(partition);
            _run = 0;
        }
    }

    /// <summary>Reads this message again later (a seek to it); false when the client refused, and then it is taken, over the cap rather than lost.</summary>
    private bool PutBack(ConsumeResult<byte[]?, byte[]?> result)
    {
        try
        {
            _consumer.Seek(result.TopicPartitionOffset);
            return true;
        }
        catch (KafkaException e)
        {
            _onError(e.Error);
            return false;
        }
    }

    /// <summary>The assignment a lane belongs to: this one, unless <see cref="ReintroducedBugs.LaneByPartitionName"/> names lanes by the partition alone.</summary>
    private PartitionState LanePartition(PartitionState partition)
    {
        if ((_dispatcher.Runtime.Bugs & ReintroducedBugs.LaneByPartitionName) == 0) // per message: no Enum.HasFlag, which boxes in unoptimized code
        {
            return partition;
        }

        _firstAssignments ??= [];
        return _firstAssignments.TryAdd(partition.TopicPartition, partition) ? partition : _firstAssignments[partition.TopicPartition];
    }

    /// <summary>Whether the message names another consumer group as the only one to handle it (<see cref="DeadLetterHeaders.TargetGroup"/>).</summary>
    private bool ForOtherGroup(ConsumeResult<byte[]?, byte[]?> result) =>
        result.Message.Headers is { Count: > 0 } headers
        && headers.TryGetLastBytes(DeadLetterHeaders.TargetGroup, out var group)
        && !group.AsSpan().SequenceEqual(_groupId);

    private void SubmitBatch()
    {
        // A rebalance inside Consume may have revoked partitions of messages in the batch. Their
        // messages were never tracked, so the revoke's commit could not pass them.
        _batch.RemoveAll(item => !item.Partition.AcceptsWork);
        _commits.Submitting(_batch);
        _flow.Submitted(_batch.Count);
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
            if (!_dispatcher.Runtime.Bugs.HasFlag(ReintroducedBugs.RestoredSkipsKeepCommit))
            {
                _dispatcher.PassRestored(_skipped);
            }

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
}
