using Confluent.Kafka;
using Conveyor.Processing.Commits;
using Conveyor.Processing.Completions;

namespace Conveyor.Processing.Engine;

/// <summary>
/// Rebalances, called by the consumer on the poll thread from inside <c>Consume</c>. An assignment
/// reads what was finished before in its partitions. A revoke drains before it returns: nothing
/// more starts in the revoked partitions, running handlers finish (up to the revoke timeout), and
/// the commit strategy commits (or aborts) and forgets them; only then does the group move the
/// partitions on. A loss forgets them without committing.
/// </summary>
internal sealed class RebalanceHandler
{
    private readonly ProcessorOptions _options;
    private readonly Dispatcher _dispatcher;
    private readonly OwnedPartitions _partitions;
    private readonly ICommitStrategy _commits;
    private readonly ICompletions _completions;
    private readonly StallWatchdog _watchdog;
    private readonly RebalanceHold _rebalanceHold;
    private readonly ClientPauses _pauses;
    private readonly AvailabilityWatch _availability;
    private readonly IProcessorObserver _observer;
    private readonly OperatorHolds? _holds;

    public RebalanceHandler(
        ProcessorOptions options,
        Dispatcher dispatcher,
        OwnedPartitions partitions,
        ICommitStrategy commits,
        ICompletions completions,
        StallWatchdog watchdog,
        RebalanceHold rebalanceHold,
        ClientPauses pauses,
        AvailabilityWatch availability,
        IProcessorObserver observer,
        OperatorHolds? holds = null)
    {
        _options = options;
        _dispatcher = dispatcher;
        _partitions = partitions;
        _commits = commits;
        _completions = completions;
        _watchdog = watchdog;
        _rebalanceHold = rebalanceHold;
        _pauses = pauses;
        _availability = availability;
        _observer = observer;
        _holds = holds;
    }

    public void OnAssigned(List<TopicPartition> assigned)
    {
        // A partition an operator paused is assigned to this member but not owned by the engine
        // until resumed: the feeder drops what is fetched of it, and nothing of it is committed.
        var partitions = _holds?.Assigned(assigned) ?? assigned;
        var now = _watchdog.Clock.Now;
        _watchdog.HeldAll(_watchdog.Now); // the group was rebalancing until now
        _rebalanceHold.Release();

        // Read before librdkafka fetches anything of these partitions, so no finished message is handed out again.
        var restored = _completions.Restore(partitions);
        foreach (var partition in partitions)
        {
            _partitions.Add(new PartitionState(partition, restored.GetValueOrDefault(partition)) { Poll = { AssignedAt = now } });
        }

        // A new assignment starts unpaused in the engine, so it must start unpaused in librdkafka
        // too: librdkafka keeps an application pause on its partition object, which outlives a
        // revoke (the unassign and the new assignment only touch its own, library, pause flag). A
        // partition the engine paused for back-pressure when it was revoked would come back paused
        // and never be fetched again, with nothing reported. Called before Confluent.Kafka applies
        // the assignment, so no fetch starts in between.
        if (!_dispatcher.Runtime.Bugs.HasFlag(ReintroducedBugs.PauseKeptAcrossAssign))
        {
            _pauses.ResumeInClient(partitions);
        }

        _availability.Assigned(assigned.Count);
        _observer.OnPartitionsAssigned(assigned);
    }

    public void OnRevoked(List<TopicPartitionOffset> revoked)
    {
        _watchdog.HeldAll(_watchdog.Now); // the group is rebalancing
        var states = _partitions.Owned(revoked.Select(r => r.TopicPartition));
        var drained = _dispatcher.DrainAsync(states);
        if (!_dispatcher.Runtime.Wait(drained, _options.RevokeTimeout))
        {
            if (_dispatcher.Runtime.Bugs.HasFlag(ReintroducedBugs.RevokeTimeoutCommitsPastRunning))
            {
                states.ForEach(s => _dispatcher.PassEverythingBelow(s, s.Poll.NextOffset));
            }

            // Still running: their messages stay unfinished, so the commit stops before them and
            // the next owner handles them again (a duplicate, never a loss). Exactly-once aborts.
            _observer.OnError(new Error(ErrorCode.Local_TimedOut,
                $"Handlers of revoked partitions did not finish within {_options.RevokeTimeout}; their messages will be handled again by the next owner."));
        }

        _commits.Revoked(states);

        // The poll thread fetched nothing while it drained and committed, for the partitions it
        // keeps too: that was the engine holding them, not their idle time (a drain may take the
        // whole revoke timeout, half the default stall timeout).
        _watchdog.HeldAll(_watchdog.Now);
        _holds?.Gone(revoked.Select(r => r.TopicPartition));
        _observer.OnPartitionsRevoked([.. revoked.Select(r => r.TopicPartition)]);
    }

    public void OnLost(List<TopicPartitionOffset> lost)
    {
        // Another member may already own them: committing now could overwrite its progress.
        _commits.Lost(_partitions.Owned(lost.Select(l => l.TopicPartition)));
        _holds?.Gone(lost.Select(l => l.TopicPartition));
        _observer.OnPartitionsLost([.. lost.Select(l => l.TopicPartition)]);
    }
}
