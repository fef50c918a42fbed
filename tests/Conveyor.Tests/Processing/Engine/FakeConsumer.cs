using System.Text;
using Confluent.Kafka;
using Conveyor.Processing.Completions;
using Conveyor.Processing.Engine;
using Conveyor.TestSupport.Doubles;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>
/// A consumer without a broker for the poll loop's unit tests. Each partition is a log the test
/// appends to; <c>Consume</c> returns the next message of an assigned, unpaused partition, and
/// runs the rebalances the test asked for first, calling the loop's handlers from inside
/// <c>Consume</c> on the poll thread as librdkafka does. Commits (with or without metadata) are
/// recorded, and can be made to fail. Tests wait for its state with <see cref="WaitUntilAsync"/>.
/// </summary>
internal sealed class FakeConsumer : ConsumerDouble, IOffsetsWithMetadata
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private readonly object _lock = new(); // a monitor: Consume waits on it for a change, as for a fetch
    private readonly ConsumerCallbacks _callbacks;
    private readonly Queue<Rebalance> _rebalances = new();
    private readonly Dictionary<TopicPartition, List<Message<byte[]?, byte[]?>>> _logs = [];
    private readonly Dictionary<TopicPartition, long> _positions = [];
    private readonly HashSet<TopicPartition> _paused = [];
    private readonly HashSet<TopicPartition> _unfetched = [];
    private readonly Dictionary<TopicPartition, (long Offset, string Metadata)> _committed = [];
    private readonly List<CommitAttempt> _commits = [];
    private readonly List<(DateTime At, string Call)> _calls = [];
    private readonly List<(Func<bool> Condition, TaskCompletionSource Done)> _waiters = [];
    private int _failingCommits;
    private string _memberId = "fake-member";

    public FakeConsumer(ConsumerCallbacks callbacks)
    {
        _callbacks = callbacks;
    }

    /// <summary>One commit call: its offsets and metadata, whether it failed, and whether it ran on a thread-pool thread.</summary>
    public sealed record CommitAttempt(IReadOnlyList<(TopicPartitionOffset Offset, string Metadata)> Offsets, bool Failed)
    {
        public bool OnThreadPool { get; } = Thread.CurrentThread.IsThreadPoolThread;
    }

    /// <summary>A rebalance the test asked for: when the loop's handler was called, and when it returned.</summary>
    public sealed class Rebalance(Action<FakeConsumer> run)
    {
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _returned = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Started => _started.Task.WaitAsync(Patience);

        /// <summary>Completes when the handler returned; faults when it threw (the exception goes on to the poll loop too).</summary>
        public Task Returned => _returned.Task.WaitAsync(Patience);

        internal void Run(FakeConsumer consumer)
        {
            _started.TrySetResult();
            try
            {
                run(consumer);
            }
            catch (Exception e)
            {
                _returned.TrySetException(e);
                throw;
            }

            _returned.TrySetResult();
        }
    }

    public override string Name => "fake";

    /// <summary>The member id librdkafka reports; empty once a session ended (<see cref="SetMemberId"/>, by a test), until the member joins again.</summary>
    public override string MemberId => _memberId;

    public void SetMemberId(string memberId) => _memberId = memberId;

    public override List<TopicPartition> Assignment
    {
        get
        {
            lock (_lock)
            {
                return [.. _positions.Keys];
            }
        }
    }

    /// <summary>The group metadata a transaction's offsets are sent with (the fake's is only a marker).</summary>
    public override IConsumerGroupMetadata ConsumerGroupMetadata { get; } = new GroupMetadata();

    public bool Closed { get; private set; }

    public bool Disposed { get; private set; }

    /// <summary>Every commit call so far, in order.</summary>
    public IReadOnlyList<CommitAttempt> Commits
    {
        get
        {
            lock (_lock)
            {
                return [.. _commits];
            }
        }
    }

    /// <summary>What the consumer was asked to do, in order: "pause t[0]", "resume t[0]", "commit t[0]@3", "close".</summary>
    public IReadOnlyList<string> Calls
    {
        get
        {
            lock (_lock)
            {
                return [.. _calls.Select(c => c.Call)];
            }
        }
    }

    /// <summary><see cref="Calls"/> with the time of each, one a line, for a failure's message.</summary>
    public string TimedCalls
    {
        get
        {
            lock (_lock)
            {
                return string.Join('\n', _calls.Select(c => $"{c.At:HH:mm:ss.fff} {c.Call}"));
            }
        }
    }

    /// <summary>Whether the partition is paused now.</summary>
    public bool IsPaused(TopicPartition partition)
    {
        lock (_lock)
        {
            return _paused.Contains(partition);
        }
    }

    /// <summary>The partition's committed offset, or null.</summary>
    public long? CommittedOffset(TopicPartition partition)
    {
        lock (_lock)
        {
            return _committed.TryGetValue(partition, out var committed) ? committed.Offset : null;
        }
    }

    /// <summary>Appends a message to a partition's log; returns its offset.</summary>
    public long Append(TopicPartition partition, string key, string value = "v", Headers? headers = null)
    {
        lock (_lock)
        {
            var log = Log(partition);
            log.Add(new Message<byte[]?, byte[]?>
            {
                Key = Encoding.UTF8.GetBytes(key),
                Value = Encoding.UTF8.GetBytes(value),
                Headers = headers ?? [],
                Timestamp = new Timestamp(DateTime.UtcNow),
            });
            Changed();
            return log.Count - 1;
        }
    }

    /// <summary>The next <see cref="Consume(TimeSpan)"/> assigns these partitions, from their committed offsets (else the beginning).</summary>
    public Rebalance GroupAssigns(params TopicPartition[] partitions) => Enqueue(consumer => consumer.RunAssign(partitions));

    /// <summary>The next <see cref="Consume(TimeSpan)"/> revokes these partitions.</summary>
    public Rebalance GroupRevokes(params TopicPartition[] partitions) => Enqueue(consumer => consumer.RunRevoke(partitions));

    /// <summary>The next <see cref="Consume(TimeSpan)"/> reports these partitions lost.</summary>
    public Rebalance GroupLoses(params TopicPartition[] partitions) => Enqueue(consumer => consumer.RunLose(partitions));

    /// <summary>Offsets a committed transaction carried: stored for the group, as a broker stores them.</summary>
    public void StoreTransactionOffsets(IReadOnlyList<(TopicPartitionOffset Offset, string Metadata)> offsets)
    {
        lock (_lock)
        {
            foreach (var (offset, metadata) in offsets)
            {
                _committed[offset.TopicPartition] = (offset.Offset.Value, metadata);
                _calls.Add((DateTime.UtcNow, $"transaction commit {offset}"));
            }

            Changed();
        }
    }

    /// <summary>The next <paramref name="count"/> commits throw a <see cref="KafkaException"/>.</summary>
    public void FailCommits(int count)
    {
        lock (_lock)
        {
            _failingCommits = count;
        }
    }

    /// <summary>Completes once <paramref name="condition"/> (asked under the consumer's lock, after every change) holds; fails the test after a long while.</summary>
    public Task WaitUntilAsync(Func<bool> condition)
    {
        lock (_lock)
        {
            if (condition())
            {
                return Task.CompletedTask;
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((condition, done));
            return done.Task.WaitAsync(Patience);
        }
    }

    public override ConsumeResult<byte[]?, byte[]?>? Consume(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            Rebalance? rebalance;
            lock (_lock)
            {
                if (!_rebalances.TryDequeue(out rebalance))
                {
                    if (NextLocked() is { } result)
                    {
                        return result;
                    }

                    var remaining = deadline - DateTime.UtcNow;
                    if (remaining <= TimeSpan.Zero)
                    {
                        return null;
                    }

                    // The poll timeout, as librdkafka waits for a fetch: woken early by any change.
                    Monitor.Wait(_lock, remaining);
                    continue;
                }
            }

            rebalance.Run(this); // outside the lock: the loop's handler calls back into the consumer
            lock (_lock)
            {
                Changed();
            }
        }
    }

    public override void Pause(IEnumerable<TopicPartition> partitions)
    {
        lock (_lock)
        {
            foreach (var partition in partitions)
            {
                _paused.Add(partition);
                _calls.Add((DateTime.UtcNow, $"pause {partition}"));
            }

            Changed();
        }
    }

    public override void Resume(IEnumerable<TopicPartition> partitions)
    {
        lock (_lock)
        {
            foreach (var partition in partitions)
            {
                // Like librdkafka, a pause outlives a revoke, and resuming what is not paused does nothing.
                if (_paused.Remove(partition))
                {
                    _calls.Add((DateTime.UtcNow, $"resume {partition}"));
                }
            }

            Changed();
        }
    }

    public override void Seek(TopicPartitionOffset tpo)
    {
        lock (_lock)
        {
            _positions[tpo.TopicPartition] = tpo.Offset == Offset.Beginning ? 0 : tpo.Offset.Value;
            Changed();
        }
    }

    public override Offset Position(TopicPartition partition)
    {
        lock (_lock)
        {
            return _positions.TryGetValue(partition, out var position) ? new Offset(position) : Offset.Unset;
        }
    }

    public override WatermarkOffsets GetWatermarkOffsets(TopicPartition topicPartition)
    {
        lock (_lock)
        {
            // As librdkafka's cached watermarks: the end is known only from a fetch response.
            return _unfetched.Contains(topicPartition) ? new WatermarkOffsets(Offset.Unset, Offset.Unset) : new WatermarkOffsets(0, Log(topicPartition).Count);
        }
    }

    /// <summary>The partition's first fetch has not come back yet: it delivers nothing and its end is unknown until <see cref="FirstFetchLands"/>.</summary>
    public void FirstFetchPending(TopicPartition partition)
    {
        lock (_lock)
        {
            _unfetched.Add(partition);
        }
    }

    public void FirstFetchLands(TopicPartition partition)
    {
        lock (_lock)
        {
            _unfetched.Remove(partition);
            Changed();
        }
    }

    public override void Commit(IEnumerable<TopicPartitionOffset> offsets) => Record([.. offsets.Select(o => (o, string.Empty))]);

    void IOffsetsWithMetadata.Commit(IReadOnlyList<(TopicPartitionOffset Offset, string Metadata)> offsets) => Record(offsets);

    public override List<TopicPartitionOffset> Committed(IEnumerable<TopicPartition> partitions, TimeSpan timeout) =>
        [.. ((IOffsetsWithMetadata)this).Committed([.. partitions], timeout).Select(c => c.Offset)];

    IReadOnlyList<(TopicPartitionOffset Offset, string? Metadata, Error Error)> IOffsetsWithMetadata.Committed(IReadOnlyList<TopicPartition> partitions, TimeSpan timeout)
    {
        lock (_lock)
        {
            return [.. partitions.Select(p => _committed.TryGetValue(p, out var c)
                ? (new TopicPartitionOffset(p, c.Offset), (string?)c.Metadata, new Error(ErrorCode.NoError))
                : (new TopicPartitionOffset(p, Offset.Unset), null, new Error(ErrorCode.NoError)))];
        }
    }

    public override void Close()
    {
        // As librdkafka's close: the partitions still assigned are revoked through the loop's handler.
        var assigned = Assignment;
        if (assigned.Count > 0)
        {
            RunRevoke([.. assigned]);
        }

        lock (_lock)
        {
            Closed = true;
            _calls.Add((DateTime.UtcNow, "close"));
            Changed();
        }
    }

    public override void Dispose() => Disposed = true;

    private Rebalance Enqueue(Action<FakeConsumer> run)
    {
        var rebalance = new Rebalance(run);
        lock (_lock)
        {
            _rebalances.Enqueue(rebalance);
            Changed();
        }

        return rebalance;
    }

    private void RunAssign(TopicPartition[] partitions)
    {
        _callbacks.Assigned(this, [.. partitions]);
        lock (_lock)
        {
            foreach (var partition in partitions)
            {
                _positions[partition] = _committed.TryGetValue(partition, out var committed) ? committed.Offset : 0;
            }
        }
    }

    private void RunRevoke(TopicPartition[] partitions)
    {
        _callbacks.Revoked(this, [.. partitions.Select(p => new TopicPartitionOffset(p, Offset.Unset))]);
        Unassign(partitions);
    }

    private void RunLose(TopicPartition[] partitions)
    {
        _callbacks.Lost(this, [.. partitions.Select(p => new TopicPartitionOffset(p, Offset.Unset))]);
        Unassign(partitions);
    }

    private void Unassign(TopicPartition[] partitions)
    {
        lock (_lock)
        {
            foreach (var partition in partitions)
            {
                _positions.Remove(partition);
            }
        }
    }

    private void Record(IReadOnlyList<(TopicPartitionOffset Offset, string Metadata)> offsets)
    {
        lock (_lock)
        {
            if (_failingCommits > 0)
            {
                _failingCommits--;
                _commits.Add(new CommitAttempt(offsets, Failed: true));
                Changed();
                throw new KafkaException(ErrorCode.RequestTimedOut);
            }

            foreach (var (offset, metadata) in offsets)
            {
                _committed[offset.TopicPartition] = (offset.Offset.Value, metadata);
                _calls.Add((DateTime.UtcNow, $"commit {offset}"));
            }

            _commits.Add(new CommitAttempt(offsets, Failed: false));
            Changed();
        }
    }

    private ConsumeResult<byte[]?, byte[]?>? NextLocked()
    {
        foreach (var (partition, position) in _positions)
        {
            var log = Log(partition);
            if (!_paused.Contains(partition) && !_unfetched.Contains(partition) && position < log.Count)
            {
                _positions[partition] = position + 1;
                CompleteWaitsLocked(); // a wait may be for a position
                return new ConsumeResult<byte[]?, byte[]?>
                {
                    TopicPartitionOffset = new TopicPartitionOffset(partition, position),
                    Message = log[(int)position],
                };
            }
        }

        return null;
    }

    private List<Message<byte[]?, byte[]?>> Log(TopicPartition partition)
    {
        if (!_logs.TryGetValue(partition, out var log))
        {
            _logs[partition] = log = [];
        }

        return log;
    }

    /// <summary>Wakes a waiting <c>Consume</c> and completes the waits whose condition now holds. Under the lock.</summary>
    private void Changed()
    {
        Monitor.PulseAll(_lock);
        CompleteWaitsLocked();
    }

    private void CompleteWaitsLocked()
    {
        for (var i = _waiters.Count - 1; i >= 0; i--)
        {
            if (_waiters[i].Condition())
            {
                _waiters[i].Done.TrySetResult();
                _waiters.RemoveAt(i);
            }
        }
    }

    private sealed class GroupMetadata : IConsumerGroupMetadata;
}
