using Confluent.Kafka;
using Conveyor.Processing.Completions;
using Conveyor.Processing.Engine;
using Conveyor.TestSupport.Doubles;

namespace Conveyor.Simulation;

/// <summary>
/// One incarnation's consumer on the simulated cluster, with librdkafka's behaviour where the
/// engine depends on it: rebalance callbacks run inside <c>Consume</c>; fetches arrive in batches
/// of one partition after a delay into one queue; a pause drops what was queued of the partition
/// and outlives an unassign and a new assignment (the application pause flag is the partition's,
/// not the assignment's); a resume of what is not paused does nothing. <c>Consume</c> runs the
/// simulation while it waits: the workers, timers and faults due by then.
/// </summary>
internal sealed partial class SimConsumer : ConsumerDouble, IOffsetsWithMetadata
{
    private readonly SimWorld _world;
    private readonly SimMember _member;
    private readonly int _incarnation;
    private readonly ConsumerCallbacks _callbacks;
    private readonly Dictionary<int, Fetching> _assigned = [];
    private readonly HashSet<int> _paused = [];
    private readonly List<(int Partition, long Offset)> _queue = [];
    private int _queueHead;
    private bool _inLost;
    private int _generation;
    private Func<bool>? _wakes;

    public SimConsumer(SimWorld world, SimMember member, ConsumerCallbacks callbacks)
    {
        _world = world;
        _member = member;
        _incarnation = member.OwnerTag;
        _callbacks = callbacks;
        _generation = member.Generation; // a new incarnation joins the group's current generation
        world.Baton.Background.Add(StartFetches); // fetches go on while the poll thread waits, as librdkafka's do
    }

    private SimCluster Cluster => _world.Cluster;

    private SimScheduler Scheduler => _world.Scheduler;

    /// <summary>Whether this incarnation may still act: not killed, and the run not ended by a violation.</summary>
    public bool Gone => _member.Killed || _world.Checker.Failed || _member.OwnerTag != _incarnation || !Scheduler.IsAlive(_incarnation);

    public override ConsumeResult<byte[]?, byte[]?>? Consume(TimeSpan timeout)
    {
        var deadline = Scheduler.Now + timeout.Ticks;
        while (true)
        {
            Scheduler.RunDue();
            ThrowIfGone();
            if (_member.Pending.TryDequeue(out var action))
            {
                Run(action);
                continue;
            }

            StartFetches();
            if (_queueHead < _queue.Count)
            {
                return Deliver();
            }

            if (Scheduler.Now >= deadline)
            {
                return null;
            }

            // Time passes, for the other members too, until something for this one arrives.
            _world.Baton.Wait(_member.Waiter!, _wakes ??= () => Gone || _member.Pending.Count > 0 || _queueHead < _queue.Count, deadline);
        }
    }

    public override void Pause(IEnumerable<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            _paused.Add(partition.Partition.Value);
            _world.Trace.Add($"pause p{partition.Partition.Value}");
            Purge(partition.Partition.Value);
        }
    }

    public override void Resume(IEnumerable<TopicPartition> partitions)
    {
        foreach (var partition in partitions)
        {
            if (_paused.Remove(partition.Partition.Value))
            {
                _world.Trace.Add($"resume p{partition.Partition.Value}");
            }
        }
    }

    public override void Seek(TopicPartitionOffset tpo)
    {
        var p = tpo.Partition.Value;
        if (_assigned.TryGetValue(p, out var fetching))
        {
            Purge(p);
            fetching.Next = tpo.Offset == Offset.Beginning ? 0 : tpo.Offset.Value;
            fetching.Consumed = fetching.Next;
        }
    }

    public override Offset Position(TopicPartition partition) =>
        _assigned.TryGetValue(partition.Partition.Value, out var fetching) ? new Offset(fetching.Consumed) : Offset.Unset;

    public override WatermarkOffsets GetWatermarkOffsets(TopicPartition topicPartition) => new(0, Cluster.End(topicPartition.Partition.Value));

    public override void Commit(IEnumerable<TopicPartitionOffset> offsets) => CommitWithMetadata([.. offsets.Select(o => (o, string.Empty))]);

    void IOffsetsWithMetadata.Commit(IReadOnlyList<(TopicPartitionOffset Offset, string Metadata)> offsets) => CommitWithMetadata(offsets);

    public override List<TopicPartitionOffset> Committed(IEnumerable<TopicPartition> partitions, TimeSpan timeout) =>
        [.. ((IOffsetsWithMetadata)this).Committed([.. partitions], timeout).Select(c => c.Offset)];

    IReadOnlyList<(TopicPartitionOffset Offset, string? Metadata, Error Error)> IOffsetsWithMetadata.Committed(IReadOnlyList<TopicPartition> partitions, TimeSpan timeout)
    {
        ThrowIfGone();
        return [.. partitions.Select(tp =>
        {
            var p = tp.Partition.Value;
            return Cluster.Committed[p] > 0 || Cluster.Metadata[p].Length > 0
                ? (new TopicPartitionOffset(tp, Cluster.Committed[p]), (string?)Cluster.Metadata[p], new Error(ErrorCode.NoError))
                : (new TopicPartitionOffset(tp, Offset.Unset), null, new Error(ErrorCode.NoError));
        })];
    }

    public override void Close()
    {
        ThrowIfGone();
        if (_assigned.Count > 0)
        {
            Run(new GroupAction(GroupActionKind.RevokeAll, 0));
        }

        _world.Trace.Add("close");
    }

    private void ThrowIfGone()
    {
        if (Gone)
        {
            throw new SimulatedCrash();
        }
    }

    private void CommitWithMetadata(IReadOnlyList<(TopicPartitionOffset Offset, string Metadata)> offsets)
    {
        ThrowIfGone();
        var described = _world.Trace.Enabled ? string.Join(" ", offsets.Select(o => $"p{o.Offset.Partition.Value}@{o.Offset.Offset.Value}{(o.Metadata.Length > 0 ? "+map" : string.Empty)}")) : string.Empty;
        if (Cluster.Rebalancing && Cluster.RefuseWhileRebalancing)
        {
            _world.Trace.Add($"commit {described} refused: rebalance in progress");
            throw new KafkaException(ErrorCode.RebalanceInProgress);
        }

        if (Cluster.FailingCommits > 0)
        {
            Cluster.FailingCommits--;
            _world.Trace.Add($"commit {described} failed: timed out");
            throw new KafkaException(ErrorCode.RequestTimedOut);
        }

        if (_inLost)
        {
            _world.Checker.Fail("commit-on-lost", $"the member committed {described} inside the lost callback: another member may own them already");
            throw new SimulatedCrash();
        }

        if (_generation != _member.Generation)
        {
            // A coordinator checks the member and generation of every commit, whatever partitions
            // it names: a member whose session ended is out of the group until it rejoins.
            _world.Trace.Add($"commit {described} refused: stale generation");
            throw new KafkaException(ErrorCode.IllegalGeneration);
        }

        foreach (var (offset, _) in offsets)
        {
            if (Cluster.Owners[offset.Partition.Value] != _member.Id)
            {
                // Fenced, as a broker refuses a member that is no longer in the generation that owns the partition.
                _world.Trace.Add($"commit {described} refused: p{offset.Partition.Value} is owned by {Owner.Describe(Cluster.Owners[offset.Partition.Value])}");
                throw new KafkaException(ErrorCode.IllegalGeneration);
            }
        }

        _world.Trace.Add($"commit {described}");
        foreach (var (offset, metadata) in offsets)
        {
            var p = offset.Partition.Value;
            _world.Checker.Committing(p, offset.Offset.Value, metadata, byMember: true);
            Cluster.Committed[p] = Math.Max(0, offset.Offset.Value);
            Cluster.Metadata[p] = metadata;
        }
    }
}
