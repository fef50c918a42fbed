using Confluent.Kafka;

namespace Conveyor.Processing.Engine;

/// <summary>
/// Exactly-once: finished offsets are committed inside the producer's transaction, with the
/// outputs, instead of by the consumer. The gate is closed first, so every message whose outputs
/// are in the transaction is finished and covered by the offsets sent. On an abort every owned
/// partition is rewound to its last committed offset: its messages run again in the next transaction.
/// </summary>
internal sealed partial class PollLoop
{
    /// <summary>Commits every owned partition (not only those asked for: the transaction holds outputs of all of them).</summary>
    private void CommitTransaction()
    {
        var partitions = _partitions.Values;
        var transactions = _transactions!;
        if (transactions.Fatal is not null)
        {
            return; // already reported and stopping: nothing can be committed any more
        }

        if (!transactions.Gate.Close(_options.RevokeTimeout))
        {
            transactions.Gate.Open();
            _observer.OnError(new Error(ErrorCode.Local_TimedOut,
                $"Handlers did not finish within {_options.RevokeTimeout}; the transaction is committed later."));
            _schedule.RetryAfter(DateTime.UtcNow, CommitRetryDelay);
            return;
        }

        try
        {
            // Computed with the gate closed: nothing runs, so nothing finishes behind our back.
            var offsets = new List<TopicPartitionOffset>();
            var states = new List<PartitionState>();
            foreach (var partition in partitions.Where(p => !p.Closed))
            {
                if (_dispatcher.Committable(partition) is { } next && next > partition.Poll.LastCommitted)
                {
                    offsets.Add(new TopicPartitionOffset(partition.TopicPartition, next));
                    states.Add(partition);
                }
            }

            var (outcome, error) = transactions.Commit(offsets, _consumer.ConsumerGroupMetadata);
            switch (outcome)
            {
                case Transactions.TransactionOutcome.Committed:
                    foreach (var (offset, state) in offsets.Zip(states))
                    {
                        state.Poll.LastCommitted = offset.Offset.Value;
                    }

                    _observer.OnCommitted(offsets);
                    break;
                case Transactions.TransactionOutcome.Aborted:
                    Rewind(error!);
                    break;
                case Transactions.TransactionOutcome.Fatal:
                    _observer.OnError(error!);
                    Fatal = error;
                    break;
            }
        }
        finally
        {
            transactions.Gate.Open();
        }
    }

    /// <summary>
    /// Forgets every owned partition's fetched messages and seeks it back to its last committed
    /// offset (this processor's last transaction, else the group's, else the earliest).
    /// </summary>
    private void Rewind(Error reason)
    {
        var states = _partitions.Values.Where(p => !p.Closed).ToList();
        Forget(states);
        var stored = states.Where(s => s.Poll.LastCommitted < 0).Select(s => s.TopicPartition).ToList() is { Count: > 0 } unknown
            ? _consumer.Committed(unknown, _options.TransactionTimeout).ToDictionary(c => c.TopicPartition, c => c.Offset)
            : [];
        var rewound = new List<TopicPartitionOffset>();
        foreach (var old in states)
        {
            var state = new PartitionState(old.TopicPartition) { Poll = { LastCommitted = old.Poll.LastCommitted } };
            _partitions[old.TopicPartition] = state;
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
        _transactions!.ReportAborted(reason, rewound);
    }
}
