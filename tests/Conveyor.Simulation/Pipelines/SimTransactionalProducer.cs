using Confluent.Kafka;
using Conveyor.Processing.Commits;
using Conveyor.TestSupport.Doubles;

namespace Conveyor.Simulation.Pipelines;

/// <summary>
/// The exactly-once forwarder's transactional producer, as a broker with KIP-447 behaves: outputs
/// go into the open transaction (acknowledged after the seed's delay; a failed one makes the
/// transaction abortable); <c>SendOffsetsToTransaction</c> keeps each offset's metadata (the
/// finished offsets above it, with persisted completions) and is refused as abortable for a partition
/// the member no longer owns (fenced by the group generation); a commit makes the outputs and the
/// offsets visible together, or fails as abortable while the schedule fails commits; an abort
/// drops everything. A killed incarnation's transaction never commits.
/// </summary>
internal sealed class SimTransactionalProducer(SimWorld world, SimMember member) : TransactionalProducerDouble
{
    private readonly int _incarnation = member.OwnerTag; // the scheduler's owner of this engine's events: a kill drops them

    private readonly List<(int HandOff, int Index)> _outputs = [];
    private readonly Dictionary<int, (long Offset, string Metadata)> _offsets = [];
    private bool _open;
    private bool _abortable;
    private long _nextOffset;

    public override void InitTransactions(TimeSpan timeout) => world.Trace.Add("transactions initialized");

    public override void BeginTransaction()
    {
        if (_open)
        {
            world.Checker.Fail("transaction-state", "a transaction was begun while one was open");
        }

        _open = true;
        _abortable = false;
        _outputs.Clear();
        _offsets.Clear();
    }

    public override void SendOffsetsToTransaction(IReadOnlyList<OffsetCommit> offsets, IConsumer<byte[]?, byte[]?> consumer, TimeSpan timeout)
    {
        foreach (var offset in offsets)
        {
            var p = offset.Partition.Partition.Value;
            if (Stale(p, consumer) is { } why)
            {
                // KIP-447: TxnOffsetCommit (v3+) carries the consumer's member id and generation, and
                // the group coordinator refuses a generation the group has moved past (ILLEGAL_GENERATION).
                world.Trace.Add($"transaction offsets refused: p{p} {why}");
                _abortable = true;
                throw new KafkaTxnRequiresAbortException(new Error(ErrorCode.IllegalGeneration, $"p{p} {why}"));
            }

            _offsets[p] = (offset.Offset, offset.Metadata);
        }
    }

    /// <summary>
    /// Why the member's generation is not the one that owns <paramref name="p"/> now, or null.
    /// A member whose session ended (its loss pending: its poll thread was busy, in a commit, when
    /// the group moved on) has no member id until its lost callback ran, and librdkafka sends its
    /// group metadata so; modelled at its worst, with no generation either (after an
    /// ILLEGAL_GENERATION), a form a group coordinator takes unfenced from a transactional commit,
    /// whoever owns the partition now. Otherwise the generation is refused (KIP-447) for a
    /// partition another member owns or this one was not assigned yet.
    /// </summary>
    private string? Stale(int p, IConsumer<byte[]?, byte[]?> consumer)
    {
        if (consumer.MemberId.Length == 0)
        {
            world.Trace.Add($"transaction offsets of p{p} taken unfenced: the member's session ended (no member id, no generation)");
            return null;
        }

        if (world.Cluster.Owners[p] != member.Id)
        {
            return $"is owned by {Owner.Describe(world.Cluster.Owners[p])}";
        }

        return consumer.Assignment.Any(tp => tp.Partition.Value == p) ? null : "is not assigned to this member's generation yet";
    }

    public override void CommitTransaction(TimeSpan timeout)
    {
        if (world.Cluster.FailingCommits > 0)
        {
            world.Cluster.FailingCommits--;
            world.Trace.Add("transaction commit failed: timed out");
            _abortable = true;
            throw new KafkaTxnRequiresAbortException(new Error(ErrorCode.RequestTimedOut));
        }

        if (_abortable)
        {
            throw new KafkaTxnRequiresAbortException(new Error(ErrorCode.InvalidTxnState, "an output of this transaction failed"));
        }

        world.Trace.Add($"transaction commits {_outputs.Count} outputs with {string.Join(" ", _offsets.Select(o => $"p{o.Key}@{o.Value.Offset}{(o.Value.Metadata.Length > 0 ? "+map" : string.Empty)}"))}");
        world.Pipelines.Transactions.Committing(_outputs, _offsets);
        foreach (var (p, (offset, metadata)) in _offsets)
        {
            world.Checker.Committing(p, offset, metadata, byMember: true);
            world.Cluster.Committed[p] = offset;
            world.Cluster.Metadata[p] = metadata;
        }

        _open = false;
    }

    public override void AbortTransaction(TimeSpan timeout)
    {
        world.Trace.Add($"transaction aborted ({_outputs.Count} outputs dropped)");
        world.Pipelines.Transactions.Aborted++;
        world.Checker.Rewound(member.Id);
        _open = false;
    }

    public override Task<DeliveryResult<byte[]?, byte[]?>> ProduceAsync(TopicPartition topicPartition, Message<byte[]?, byte[]?> message, CancellationToken cancellationToken = default)
    {
        if (!_open)
        {
            world.Checker.Fail("transaction-state", "an output was produced with no transaction open");
        }

        var value = message.Value!;
        var (delay, fails, noOffset, name) = world.Pipelines.Outputs.Sent(value);
        var output = world.Pipelines.Outputs.Identify(value);
        var written = new TaskCompletionSource<DeliveryResult<byte[]?, byte[]?>>();
        world.Scheduler.After(delay, () =>
        {
            if (fails)
            {
                world.Trace.Add($"{name} failed");
                _abortable = true;
                written.SetException(new ProduceException<byte[]?, byte[]?>(new Error(ErrorCode.Local_MsgTimedOut), new DeliveryResult<byte[]?, byte[]?> { TopicPartitionOffset = new TopicPartitionOffset(topicPartition, Offset.Unset) }));
                return;
            }

            world.Trace.Add($"{name} written into the transaction{(noOffset ? " (no offset)" : string.Empty)}");
            _outputs.Add(output);
            written.SetResult(new DeliveryResult<byte[]?, byte[]?>
            {
                TopicPartitionOffset = new TopicPartitionOffset(topicPartition, noOffset ? Offset.Unset : new Offset(_nextOffset++)),
                Message = message,
            });
        }, _incarnation);
        return written.Task;
    }

    public override string Name => "sim-transactional";
}
