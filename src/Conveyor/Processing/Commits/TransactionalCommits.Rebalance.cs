using Confluent.Kafka;
using Conveyor.Processing.Engine;

namespace Conveyor.Processing.Commits;

/// <summary>Exactly-once commits on a rebalance: a revoke commits or aborts with every owned partition, a loss aborts and rewinds.</summary>
internal sealed partial class TransactionalCommits
{
    /// <summary>
    /// A revoke: commits the transaction with the offsets of every owned partition, the revoked
    /// ones included, or aborts it; never commits without the revoked partitions' offsets. When
    /// handlers do not finish in time their outputs could not be covered, so it aborts.
    /// </summary>
    public void Revoked(List<PartitionState> revoked)
    {
        _schedule.Restart(_context.Now);
        if (_transactions.Fatal is not null)
        {
            Forget(revoked);
            return;
        }

        var idle = CloseGate();
        try
        {
            if (idle)
            {
                CommitOwned(leaving: revoked);
            }
            else
            {
                AbortOwned(
                    new Error(ErrorCode.Local_TimedOut, $"Handlers did not finish within {_options.RevokeTimeout} of a revoke; the transaction cannot carry their offsets."),
                    leaving: revoked,
                    idle: false);
            }
        }
        finally
        {
            _transactions.Gate.Open();
        }
    }

    /// <summary>
    /// Lost partitions may already belong to another member, so their offsets cannot be committed,
    /// and neither can their outputs: the open transaction is aborted and the partitions still
    /// owned are rewound, before anything else is committed.
    /// </summary>
    public void Lost(List<PartitionState> lost)
    {
        if (_transactions.Fatal is not null)
        {
            Forget(lost);
            return;
        }

        var idle = CloseGate();
        try
        {
            if (_dispatcher.Runtime.Bugs.HasFlag(ReintroducedBugs.LostOutputsCommitted))
            {
                Forget(lost);
                CommitOwned(leaving: []);
                return;
            }

            var names = string.Join(", ", lost.Select(s => s.TopicPartition));
            AbortOwned(
                new Error(ErrorCode.Local_State, $"Partitions lost ({names}): their outputs are aborted with the transaction."),
                leaving: lost,
                idle);
        }
        finally
        {
            _transactions.Gate.Open();
        }
    }
}
