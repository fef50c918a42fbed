using Confluent.Kafka;
using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Commits;

/// <summary>
/// Commits through the consumer (every guarantee but exactly-once): only offsets below which every
/// message is finished, never backwards. Each partition's committable offset is committed when it
/// moved, or (persisted completions) when more offsets above it finished, recorded in the
/// metadata. A revoke commits the revoked partitions and waits for it; a loss commits nothing.
/// Either way this member remembers what it finished there, in case the partitions come back.
/// The subclasses choose how offsets are sent.
/// </summary>
internal abstract class ConsumerCommits : ICommitStrategy
{
    private readonly CommitContext _context;
    private readonly QuietPartitions _quiet;

    protected ConsumerCommits(CommitContext context)
    {
        _context = context;
        _quiet = new QuietPartitions(context.Options.IdleCommitDelay, context.Dispatcher);
    }

    /// <summary>The poll loop's parts.</summary>
    protected CommitContext Context => _context;

    public void Start(DateTime now) => _context.Schedule.Restart(now);

    public void Tick(DateTime now)
    {
        TakeLanded();
        var schedule = _context.Schedule;
        if (schedule.IsDue(now)
            || (schedule.MayCommitEarly(now) && ((_context.Completions.HurriesCommits && AnyCommitDue()) || _quiet.AnyDue(_context.Partitions.Values, now))))
        {
            CommitFinished(_context.Partitions.Values, final: false);
        }
    }

    /// <summary>Whether a partition's commit should not wait for the interval (<see cref="Completions.ICompletions.CommitDue"/>).</summary>
    private bool AnyCommitDue()
    {
        foreach (var partition in _context.Partitions.Values)
        {
            if (!partition.Closed && _context.Completions.CommitDue(partition))
            {
                return true;
            }
        }

        return false;
    }

    public virtual void Submitting(List<WorkItem> batch)
    {
    }

    public void Revoked(List<PartitionState> revoked)
    {
        // During an eager rebalance the broker may refuse with REBALANCE_IN_PROGRESS; the
        // offsets then stay at the last commit and those messages are handled again.
        CommitFinished(revoked, final: true);
        _context.Completions.Remember(revoked); // in case the commit was refused and they come back
        Forget(revoked);
    }

    public void Lost(List<PartitionState> lost)
    {
        if (_context.Dispatcher.Runtime.Bugs.HasFlag(ReintroducedBugs.CommitOnLost))
        {
            CommitFinished(lost, final: true);
        }

        _context.Completions.Remember(lost);
        Forget(lost);
    }

    public void Stopping(List<PartitionState> partitions) => CommitFinished(partitions, final: true);

    /// <summary>Sends these offsets; <paramref name="final"/> (revoke, stop) waits until they have landed.</summary>
    protected abstract void Send(List<OffsetCommit> offsets, List<PartitionState> states, bool final);

    /// <summary>Once a turn, before anything is computed: records commits that landed off the poll thread since the last turn.</summary>
    protected virtual void TakeLanded()
    {
    }

    /// <summary>A commit of <paramref name="state"/>'s partition landed: it is the partition's last commit, unless a higher one landed already.</summary>
    protected static void Landed(PartitionState state, OffsetCommit offset)
    {
        if (offset.Offset >= state.Poll.LastCommitted)
        {
            state.Poll.LastCommitted = offset.Offset;
            state.Poll.LastCommittedMetadata = offset.Metadata;
        }
    }

    /// <summary>The partitions are gone.</summary>
    protected virtual void Forget(List<PartitionState> states) => _context.Partitions.Forget(states);

    /// <summary>Commits on this thread and records what was committed; a refused commit is tried again soon. Returns the offsets that landed.</summary>
    protected IReadOnlyList<OffsetCommit> Commit(List<OffsetCommit> offsets, List<PartitionState> states)
    {
        var committed = CommitNow(offsets);
        var byPartition = new Dictionary<TopicPartition, PartitionState>(states.Count, TopicPartitionKey.Instance); // not a search per offset: a commit may carry 1,000 partitions
        foreach (var state in states)
        {
            byPartition.TryAdd(state.TopicPartition, state);
        }

        foreach (var offset in committed)
        {
            Landed(byPartition[offset.Partition], offset);
        }

        if (committed.Count < offsets.Count)
        {
            // Not committed: the offsets stay where they were and the commit is tried again soon.
            _context.Schedule.RetryAfter(_context.Now, CommitContext.CommitRetryDelay);
        }

        return committed;
    }

    /// <summary>
    /// Commits (with metadata when completions are persisted) and reports; returns the offsets that
    /// were committed. Called on the poll thread, or by the asynchronous committer (one at a time).
    /// </summary>
    protected IReadOnlyList<OffsetCommit> CommitNow(IReadOnlyList<OffsetCommit> offsets)
    {
        var clock = _context.Clock;
        var started = clock.GetTimestamp();
        try
        {
            _context.Completions.Commit(offsets);
            _context.Observer.CommitTimed(clock.GetElapsedTime(started), succeeded: true);
            _context.RebalanceHold.Release();
            _context.Observer.OnCommitted([.. offsets.Select(o => o.ToTopicPartitionOffset())]);
            return offsets;
        }
        catch (TopicPartitionOffsetException e)
        {
            _context.Observer.CommitTimed(clock.GetElapsedTime(started), succeeded: false);
            var refused = e.Results.Where(r => r.Error.IsError).Select(r => r.TopicPartition).ToHashSet();
            List<OffsetCommit> succeeded = [.. offsets.Where(o => !refused.Contains(o.Partition))];
            if (succeeded.Count > 0)
            {
                _context.Observer.OnCommitted([.. succeeded.Select(o => o.ToTopicPartitionOffset())]);
            }

            foreach (var failed in e.Results.Where(r => r.Error.IsError).GroupBy(r => r.Error.Code))
            {
                NoteRebalance(failed.Key);
                _context.Observer.OnCommitFailed([.. failed.Select(r => r.TopicPartitionOffset)], failed.First().Error);
            }

            return succeeded;
        }
        catch (KafkaException e)
        {
            _context.Observer.CommitTimed(clock.GetElapsedTime(started), succeeded: false);
            NoteRebalance(e.Error.Code);
            _context.Observer.OnCommitFailed([.. offsets.Select(o => o.ToTopicPartitionOffset())], e.Error);
            return [];
        }
    }

    /// <summary>Commits each partition's committable offset (with its metadata) when it changed since the last commit.</summary>
    private void CommitFinished(IEnumerable<PartitionState> partitions, bool final)
    {
        _context.Schedule.Restart(_context.Now);
        var offsets = new List<OffsetCommit>();
        var states = new List<PartitionState>();
        foreach (var partition in partitions)
        {
            if (!partition.Closed && _context.Completions.Next(partition) is { } offset)
            {
                offsets.Add(offset);
                states.Add(partition);
            }
        }

        Send(offsets, states, final);
    }

    /// <summary>
    /// A commit refused because the group is rebalancing: the client holds the partitions
    /// meanwhile, which is no stall; and the engine starts no new work until the rebalance is over
    /// (<see cref="RebalanceHold"/>), since it could not be committed before the partitions move.
    /// </summary>
    private void NoteRebalance(ErrorCode code)
    {
        if (code is ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration)
        {
            _context.Watchdog.HeldAll(_context.Watchdog.Now);
            _context.RebalanceHold.Refused(_context.Now);
        }
    }
}
