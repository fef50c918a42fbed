using Confluent.Kafka;

namespace Conveyor.Processing.Engine;

/// <summary>
/// Rebalances, called by the consumer on this thread. A revoke drains before it returns: nothing
/// more starts in the revoked partitions, running handlers finish (up to the revoke timeout),
/// finished offsets are committed, and only then does the group move the partitions on.
/// </summary>
internal sealed partial class PollLoop
{
    private void OnAssigned(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartition> partitions)
    {
        var now = DateTime.UtcNow;
        _watchdog.HeldAll(now); // the group was rebalancing until now
        _rebalanceHold.Release();

        // Read before librdkafka fetches anything of these partitions, so no finished message is handed out again.
        var restored = _completions?.Read(partitions);
        foreach (var partition in partitions)
        {
            var finished = restored?.GetValueOrDefault(partition);
            finished = _completionMemory?.Recall(partition, finished) ?? finished;
            _partitions[partition] = new PartitionState(partition, finished) { Poll = { IdleSince = now } };
        }

        // A new assignment starts unpaused in the engine, so it must start unpaused in librdkafka
        // too: librdkafka keeps an application pause on its partition object, which outlives a
        // revoke (the unassign and the new assignment only touch its own, library, pause flag). A
        // partition the engine paused for back-pressure when it was revoked would come back paused
        // and never be fetched again, with nothing reported. Called before Confluent.Kafka applies
        // the assignment, so no fetch starts in between.
        ResumeInClient(partitions);
        _availability.Assigned(partitions.Count);
        _observer.OnPartitionsAssigned(partitions);
    }

    /// <summary>
    /// Resumes partitions in librdkafka that the engine does not hold, in case librdkafka holds them
    /// without the engine knowing. Resuming a partition that is not paused does nothing.
    /// </summary>
    private void ResumeInClient(List<TopicPartition> partitions)
    {
        try
        {
            _consumer.Resume(partitions);
        }
        catch (KafkaException e) when (e.Error.Code == ErrorCode.Local_Partial)
        {
            // Partitions this client never had are unknown to it yet ("Local: Unknown partition"):
            // nothing holds them, so there is nothing to resume and nothing to report.
        }
        catch (KafkaException e)
        {
            _observer.OnError(e.Error);
        }
    }

    private void OnRevoked(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartitionOffset> revoked)
    {
        _watchdog.HeldAll(DateTime.UtcNow); // the group is rebalancing
        var states = Owned(revoked.Select(r => r.TopicPartition));
        var drained = _dispatcher.DrainAsync(states);
        if (!drained.Wait(_options.RevokeTimeout))
        {
            // Still running: their messages stay unfinished, so the commit below stops before
            // them and the next owner handles them again (a duplicate, never a loss).
            _observer.OnError(new Error(ErrorCode.Local_TimedOut,
                $"Handlers of revoked partitions did not finish within {_options.RevokeTimeout}; their messages will be handled again by the next owner."));
        }

        // During an eager rebalance the broker may refuse with REBALANCE_IN_PROGRESS; the
        // offsets then stay at the last commit and those messages are handled again.
        CommitFinished(states, final: true);
        RememberFinished(states); // in case the commit was refused and they come back
        Forget(states);
        _observer.OnPartitionsRevoked([.. revoked.Select(r => r.TopicPartition)]);
    }

    private void OnLost(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartitionOffset> lost)
    {
        // Another member may already own them: committing now could overwrite its progress.
        var states = Owned(lost.Select(l => l.TopicPartition));
        RememberFinished(states);
        Forget(states);
        _observer.OnPartitionsLost([.. lost.Select(l => l.TopicPartition)]);
    }

    /// <summary>Keeps what this member finished in partitions it gives up (<see cref="Completions.CompletionMemory"/>).</summary>
    private void RememberFinished(List<PartitionState> states)
    {
        if (_completionMemory is null)
        {
            return;
        }

        var finished = new List<long>();
        foreach (var state in states)
        {
            finished.Clear();
            if (_dispatcher.CommitPoint(state, finished) is { } lowestUnfinished)
            {
                _completionMemory.Remember(state.TopicPartition, state.Poll.FirstDelivered, lowestUnfinished, finished);
            }
        }
    }

    private List<PartitionState> Owned(IEnumerable<TopicPartition> partitions) =>
        [.. partitions.Select(p => _partitions.GetValueOrDefault(p)).OfType<PartitionState>()];

    private void Forget(List<PartitionState> states)
    {
        _dispatcher.Close(states);
        _asyncCommits?.Forget(states.Select(s => s.TopicPartition));
        foreach (var state in states)
        {
            _watchdog.Forget(state);
            _partitions.Remove(state.TopicPartition);
        }
    }
}
