using Confluent.Kafka;

namespace Conveyor.Processing.Commits;

/// <summary>
/// Sends commits in the background, one at a time and in the order requested, so the poll loop
/// never waits for the coordinator. A partition's offset only ever moves forward: a request is
/// taken only when it is higher than everything pending, in flight or confirmed for that partition
/// (or as high, with new metadata: more offsets finished above it), so a slow or retried commit
/// can never land over a newer one. Requests that arrive while a commit is in flight are merged
/// and sent next.
/// </summary>
internal sealed class AsyncCommitter
{
    private readonly Func<IReadOnlyList<OffsetCommit>, IReadOnlyList<OffsetCommit>> _commit;
    private readonly Engine.EngineRuntime _runtime;
    private readonly Lock _lock = new();
    private readonly Dictionary<TopicPartition, OffsetCommit> _pending = [];
    private readonly Dictionary<TopicPartition, OffsetCommit> _inFlight = [];
    private readonly Dictionary<TopicPartition, OffsetCommit> _confirmed = [];
    private Task _draining = Task.CompletedTask;
    private bool _isDraining;

    /// <param name="commit">Commits synchronously and returns the offsets that were committed; reports failures itself and never throws.</param>
    /// <param name="runtime">Where the sends run and how a flush waits: a thread of their own (a commit blocks until the coordinator answers) and a blocking wait, unless a simulator supplies its own.</param>
    public AsyncCommitter(Func<IReadOnlyList<OffsetCommit>, IReadOnlyList<OffsetCommit>> commit, Engine.EngineRuntime? runtime = null)
    {
        _commit = commit;
        _runtime = runtime ?? Engine.EngineRuntime.Default;
    }

    /// <summary>
    /// Asks for these offsets to be committed; returns at once. Offsets below what is already
    /// pending, in flight or committed are ignored, and so are equal ones with the same metadata.
    /// </summary>
    public void Request(IEnumerable<OffsetCommit> offsets)
    {
        lock (_lock)
        {
            foreach (var offset in offsets)
            {
                if (HighestLocked(offset.Partition) is not { } highest
                    || offset.Offset > highest.Offset
                    || (offset.Offset == highest.Offset && offset.Metadata != highest.Metadata))
                {
                    _pending[offset.Partition] = offset;
                }
            }

            if (_pending.Count > 0 && !_isDraining)
            {
                _isDraining = true;
                _draining = _runtime.Run(Drain);
            }
        }
    }

    /// <summary>Waits until everything requested so far has been sent and answered (or the timeout passed); false on timeout.</summary>
    public bool Flush(TimeSpan timeout)
    {
        Task draining;
        lock (_lock)
        {
            draining = _isDraining ? _draining : Task.CompletedTask;
        }

        return _runtime.Wait(draining, timeout);
    }

    /// <summary>The partitions are gone: drops what is pending for them and forgets what was committed (a commit in flight still lands or fails).</summary>
    public void Forget(IEnumerable<TopicPartition> partitions)
    {
        lock (_lock)
        {
            foreach (var partition in partitions)
            {
                _pending.Remove(partition);
                _confirmed.Remove(partition);
            }
        }
    }

    /// <summary>The newest of what is pending, in flight and confirmed: the highest offset, and among equal ones the later stage.</summary>
    private OffsetCommit? HighestLocked(TopicPartition partition)
    {
        OffsetCommit? highest = null;
        foreach (var stage in (ReadOnlySpan<Dictionary<TopicPartition, OffsetCommit>>)[_pending, _inFlight, _confirmed])
        {
            if (stage.TryGetValue(partition, out var offset) && (highest is null || offset.Offset > highest.Value.Offset))
            {
                highest = offset;
            }
        }

        return highest;
    }

    private void Drain()
    {
        while (true)
        {
            List<OffsetCommit> batch;
            lock (_lock)
            {
                if (_pending.Count == 0)
                {
                    _isDraining = false;
                    return;
                }

                batch = [.. _pending.Values];
                foreach (var (partition, offset) in _pending)
                {
                    _inFlight[partition] = offset;
                }

                _pending.Clear();
            }

            IReadOnlyList<OffsetCommit> committed;
            try
            {
                committed = _commit(batch);
            }
            catch (Exception e) when (e is KafkaException or ObjectDisposedException or InvalidOperationException)
            {
                committed = []; // the consumer is closing: nothing more can be committed
            }

            lock (_lock)
            {
                foreach (var sent in batch)
                {
                    _inFlight.Remove(sent.Partition);
                }

                foreach (var done in committed)
                {
                    if (!_confirmed.TryGetValue(done.Partition, out var confirmed) || done.Offset >= confirmed.Offset)
                    {
                        _confirmed[done.Partition] = done;
                    }
                }
            }
        }
    }
}
