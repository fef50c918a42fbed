using Confluent.Kafka;

namespace Conveyor.Processing.Commits;

/// <summary>
/// Sends commits in the background, one at a time and in the order requested, so the poll loop
/// never waits for the coordinator. A partition's offset only ever moves forward: a request is
/// taken only when it is higher than everything pending, in flight or confirmed for that partition
/// (or as high, with new metadata: more offsets finished above it), so a slow or retried commit
/// can never land over a newer one. Requests that arrive while a commit is in flight are merged
/// and sent next. What landed is handed back to the poll thread (<see cref="TakeLanded"/>), which
/// alone writes a partition's last commit.
/// </summary>
internal sealed class AsyncCommitter : IDisposable
{
    private readonly Func<IReadOnlyList<OffsetCommit>, IReadOnlyList<OffsetCommit>> _commit;
    private readonly Action<Exception> _failed;
    private readonly Engine.EngineRuntime _runtime;
    private readonly CommitSendThread _thread = new();
    private readonly Lock _lock = new();
    private readonly Dictionary<TopicPartition, OffsetCommit> _pending = [];
    private readonly Dictionary<TopicPartition, OffsetCommit> _inFlight = [];
    private readonly Dictionary<TopicPartition, OffsetCommit> _confirmed = [];
    private readonly List<OffsetCommit> _landed = [];
    private readonly HashSet<TopicPartition> _forgottenInFlight = [];
    private volatile bool _anyLanded;
    private Task _draining = Task.CompletedTask;
    private bool _isDraining;

    /// <param name="commit">Commits synchronously and returns the offsets that were committed; reports failures itself and is not meant to throw.</param>
    /// <param name="failed">
    /// Hears an exception <paramref name="commit"/> was not meant to throw (a bug, or an observer that
    /// threw): its offsets count as not committed and are sent again when requested again.
    /// </param>
    /// <param name="runtime">Where the sends run and how a flush waits: one thread of their own (a commit blocks until the coordinator answers) and a blocking wait, unless a simulator supplies its own.</param>
    public AsyncCommitter(Func<IReadOnlyList<OffsetCommit>, IReadOnlyList<OffsetCommit>> commit, Action<Exception> failed, Engine.EngineRuntime? runtime = null)
    {
        _commit = commit;
        _failed = failed;
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
                _draining = _runtime.Run is { } run ? run(Drain) : _thread.Run(Drain);
            }
        }
    }

    /// <summary>Ends the send thread (after what it was given): the processor stopped, and its consumer is closed.</summary>
    public void Dispose() => _thread.Dispose();

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

    /// <summary>
    /// Moves the commits that landed since the last call into <paramref name="landed"/>, oldest
    /// first. The poll thread calls it each turn: a partition's last commit is the poll thread's
    /// state (<see cref="Engine.PollThreadState.LastCommitted"/>), so this thread only reports it.
    /// </summary>
    public void TakeLanded(List<OffsetCommit> landed)
    {
        if (!_anyLanded)
        {
            return; // most turns: nothing landed, and no lock taken
        }

        lock (_lock)
        {
            landed.AddRange(_landed);
            _landed.Clear();
            _anyLanded = false;
        }
    }

    /// <summary>
    /// The partitions are gone: drops what is pending for them, forgets what was committed and
    /// what landed but was not taken yet. A commit in flight still lands or fails, but is not
    /// reported: it belongs to an assignment that ended.
    /// </summary>
    public void Forget(IEnumerable<TopicPartition> partitions)
    {
        var gone = partitions.ToHashSet();
        lock (_lock)
        {
            foreach (var partition in gone)
            {
                _pending.Remove(partition);
                _confirmed.Remove(partition);
                if (_inFlight.ContainsKey(partition))
                {
                    _forgottenInFlight.Add(partition);
                }
            }

            _landed.RemoveAll(l => gone.Contains(l.Partition));
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

    // The drain that set _isDraining is the only one running until it clears it, so clearing it on
    // the way out of a failure is safe; left set, no later request would ever be sent.
    private void Drain()
    {
        try
        {
            SendPending();
        }
        catch
        {
            lock (_lock)
            {
                _isDraining = false;
            }

            throw;
        }
    }

    private void SendPending()
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

            IReadOnlyList<OffsetCommit> committed = [];
            Exception? unexpected = null;
            try
            {
                committed = _commit(batch);
            }
            catch (Exception e) when (e is KafkaException or ObjectDisposedException or InvalidOperationException)
            {
                // the consumer is closing: nothing more can be committed
            }
            catch (Exception e)
            {
                unexpected = e;
            }
            finally
            {
                Settle(batch, committed);
            }

            if (unexpected is not null)
            {
                _failed(unexpected);
            }
        }
    }

    /// <summary>The batch is answered: what was committed is confirmed and reported as landed, and nothing of it is in flight any more.</summary>
    private void Settle(List<OffsetCommit> batch, IReadOnlyList<OffsetCommit> committed)
    {
        lock (_lock)
        {
            foreach (var done in committed)
            {
                if (_forgottenInFlight.Contains(done.Partition))
                {
                    continue;
                }

                if (!_confirmed.TryGetValue(done.Partition, out var confirmed) || done.Offset >= confirmed.Offset)
                {
                    _confirmed[done.Partition] = done;
                }

                _landed.Add(done);
                _anyLanded = true;
            }

            foreach (var sent in batch)
            {
                _inFlight.Remove(sent.Partition);
                _forgottenInFlight.Remove(sent.Partition);
            }
        }
    }
}
