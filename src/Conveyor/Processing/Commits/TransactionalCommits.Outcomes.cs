using Confluent.Kafka;
using Conveyor.Processing.Engine;
using Conveyor.Processing.Transactions;

namespace Conveyor.Processing.Commits;

/// <summary>Exactly-once commits: what a transaction carries, and how it ends (committed, or aborted with the partitions rewound).</summary>
internal sealed partial class TransactionalCommits
{
    /// <summary>With the gate closed: commits the owned partitions' offsets with the transaction; on an abort, forgets <paramref name="leaving"/> and rewinds the rest.</summary>
    private void CommitOwned(List<PartitionState> leaving)
    {
        // Computed with the gate closed: nothing runs, so nothing finishes behind our back. With
        // persisted completions each offset carries the finished offsets above it: the transaction
        // holds their outputs, so a restart must skip them, not write them again.
        var offsets = new List<OffsetCommit>();
        var states = new List<PartitionState>();
        foreach (var partition in _partitions.Values.Where(p => !p.Closed))
        {
            if (Next(partition) is { } next)
            {
                offsets.Add(next);
                states.Add(partition);
            }
        }

        var (outcome, error) = Holding(() => _transactions.Commit(offsets, _consumer));
        switch (outcome)
        {
            case TransactionOutcome.Committed:
                foreach (var (offset, state) in offsets.Zip(states))
                {
                    state.Poll.LastCommitted = offset.Offset;
                    state.Poll.LastCommittedMetadata = offset.Metadata;
                    state.Attempts.CommittedTo(offset.Offset);
                }

                _observer.OnCommitted([.. offsets.Select(o => o.ToTopicPartitionOffset())]);
                Forget(leaving);
                break;
            case TransactionOutcome.Empty:
                Forget(leaving);
                break;
            case TransactionOutcome.Aborted:
                Forget(leaving);
                Rewind(error!);
                break;
            case TransactionOutcome.Fatal:
                Forget(leaving);
                Stop(error!);
                break;
        }
    }

    /// <summary>
    /// Forgets <paramref name="leaving"/>, aborts the transaction and rewinds every partition still
    /// owned. When the gate did not close (<paramref name="idle"/> false), handlers still running
    /// write their outputs into the next transaction with inputs it will not cover: that one is
    /// aborted too, once they are done.
    /// </summary>
    private void AbortOwned(Error reason, List<PartitionState> leaving, bool idle)
    {
        Forget(leaving);
        var (outcome, error) = _transactions.Abort(reason); // a rewind follows: every partition is idle from then on
        if (outcome == TransactionOutcome.Fatal)
        {
            Stop(error!);
            return;
        }

        Rewind(reason);
        if (!idle)
        {
            _observer.OnError(new Error(ErrorCode.Local_TimedOut, $"{reason.Reason} The next transaction is aborted too, after the running handlers end."));
            _transactions.RequestAbort(new Error(ErrorCode.Local_State, $"Holds outputs of handlers that outlived an abort ({reason.Reason})"));
        }
    }

    /// <summary>What the transaction carries for a partition: its committable offset, with the finished ones above it when completions are persisted.</summary>
    private OffsetCommit? Next(PartitionState partition)
    {
        if (_dispatcher.Runtime.Bugs.HasFlag(ReintroducedBugs.TransactionOffsetsWithoutCompletions))
        {
            return _dispatcher.Committable(partition) is { } next && next > partition.Poll.LastCommitted
                ? new OffsetCommit(partition.TopicPartition, next)
                : null;
        }

        return _context.Completions.Next(partition);
    }

    /// <summary>
    /// Forgets every owned partition's fetched messages and seeks it back to its last committed
    /// offset (this processor's last transaction, else the group's, else the earliest).
    /// </summary>
    private void Rewind(Error reason)
    {
        var states = _partitions.Values.Where(p => !p.Closed).ToList();
        Forget(states);
        WaitForHandlers(states);
        var stored = states.Where(s => s.Poll.LastCommitted < 0).Select(s => s.TopicPartition).ToList() is { Count: > 0 } unknown
            ? _consumer.Committed(unknown, _options.TransactionTimeout).ToDictionary(c => c.TopicPartition, c => c.Offset)
            : [];

        // The finished offsets the last committed transaction recorded (persisted completions):
        // their outputs are committed, so they are skipped when the partitions run again.
        var restored = _dispatcher.Runtime.Bugs.HasFlag(ReintroducedBugs.AbortRewindForgetsCompletions)
            ? new Dictionary<TopicPartition, Completions.CompletionMap>()
            : _context.Completions.Restore([.. states.Select(s => s.TopicPartition)]);
        var rewound = new List<TopicPartitionOffset>();
        foreach (var old in states)
        {
            // Idle from now, as a new assignment (OwnedPartitions.Add): the stall watchdog must not count the
            // time before the rewind (the simulator's seeds 406, 5310 and 6711 reported a partition stalled at once).
            // The messages' failed handler calls carry over: a message failing inside transactions that
            // keep aborting still reaches its failure action (any-ordering seed 5524 retried p1@9 without end).
            var attempts = _dispatcher.Runtime.Bugs.HasFlag(ReintroducedBugs.AbortRewindResetsAttempts) ? null : old.Attempts;
            var state = new PartitionState(old.TopicPartition, restored.GetValueOrDefault(old.TopicPartition), attempts)
            {
                Poll = { LastCommitted = old.Poll.LastCommitted, LastCommittedMetadata = old.Poll.LastCommittedMetadata },
            };
            _partitions.Add(state);
            if (old.Stopped)
            {
                // Stopped by its failure action: it stays stopped, as it would without the abort
                // (any-ordering seed 18819 ran on past its stop once an abort rewound it).
                _dispatcher.Stop(state);
            }

            var target = old.Poll.LastCommitted >= 0 ? new Offset(old.Poll.LastCommitted)
                : stored.TryGetValue(old.TopicPartition, out var committed) && committed.Value >= 0 ? committed
                : Offset.Beginning;
            rewound.Add(new TopicPartitionOffset(old.TopicPartition, target));
        }

        foreach (var position in rewound)
        {
            _consumer.Seek(position);
        }

        _consumer.Resume(states.Where(s => s.Poll.Paused).Select(s => s.TopicPartition).ToList());
        _transactions.ReportAborted(reason, rewound);
    }
}
